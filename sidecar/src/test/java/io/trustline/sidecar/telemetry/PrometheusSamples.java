package io.trustline.sidecar.telemetry;

import com.linecorp.armeria.client.WebClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Prometheus text exposition parsed into samples, as a scraper reads it from a real {@code /metrics} endpoint. */
record PrometheusSamples(List<Sample> samples) {

    /** One line: {@code name{labels} value}. */
    record Sample(String name, Map<String, String> labels, double value) {}

    /** Scrapes {@code http://127.0.0.1:<port>/metrics}. */
    static PrometheusSamples scrape(int port) {
        return parse(WebClient.of("http://127.0.0.1:" + port)
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8());
    }

    static PrometheusSamples parse(String text) {
        final List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final int brace = line.indexOf('{');
            final int space = line.lastIndexOf(' ');
            final Map<String, String> labels = new LinkedHashMap<>();
            final String name;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                final String body = line.substring(brace + 1, line.lastIndexOf('}'));
                int i = 0;
                while (i < body.length()) {
                    final int eq = body.indexOf('=', i);
                    final StringBuilder value = new StringBuilder();
                    int j = eq + 2;
                    while (body.charAt(j) != '"') {
                        if (body.charAt(j) == '\\') {
                            j++;
                        }
                        value.append(body.charAt(j++));
                    }
                    labels.put(body.substring(i, eq), value.toString());
                    i = j + 2;
                }
            } else {
                name = line.substring(0, space);
            }
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
        return new PrometheusSamples(List.copyOf(samples));
    }

    /** The samples of {@code name} whose labels include all of {@code labels} (name, value pairs). */
    List<Sample> find(String name, String... labels) {
        final List<Sample> found = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                match &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (match) {
                found.add(s);
            }
        }
        return found;
    }

    /** The sum of the samples {@link #find} returns (0 when none). */
    double sum(String name, String... labels) {
        return find(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    /** Whether any sample is named {@code name}. */
    boolean has(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }
}
