package io.trustline.policy.istio;

import io.trustline.policy.yaml.Location;
import io.trustline.policy.yaml.YamlNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The findings of one import, each once (a policy converted for several services reports a field once). */
final class Report {

    private final Set<Finding> findings = new LinkedHashSet<>();

    void add(String file, Location at, Finding.Effect effect, String field, String message) {
        findings.add(new Finding(file, at, effect, field, message));
    }

    void add(String file, YamlNode at, Finding.Effect effect, String field, String message) {
        add(file, at.location(), effect, field, message);
    }

    List<Finding> findings() {
        return findings.stream().sorted().toList();
    }
}
