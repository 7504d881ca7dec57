package io.trustline.policy.engine;

import io.trustline.policy.model.StringMatch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** A compiled list of {@link StringMatch}es: exact values hashed, prefixes and suffixes in arrays. */
final class StringSet {

    private final List<StringMatch> patterns;
    private final Set<String> exact;
    private final String[] prefixes;
    private final String[] suffixes;
    private final boolean present;

    StringSet(List<StringMatch> patterns) {
        this.patterns = List.copyOf(patterns);
        Set<String> ex = new HashSet<>();
        List<String> pre = new ArrayList<>();
        List<String> suf = new ArrayList<>();
        boolean any = false;
        for (StringMatch m : patterns) {
            switch (m.kind()) {
                case EXACT -> ex.add(m.value());
                case PREFIX -> pre.add(m.value());
                case SUFFIX -> suf.add(m.value());
                case PRESENT -> any = true;
            }
        }
        this.exact = Set.copyOf(ex);
        this.prefixes = pre.toArray(String[]::new);
        this.suffixes = suf.toArray(String[]::new);
        this.present = any;
    }

    boolean matches(@Nullable String s) {
        if (s == null) {
            return false;
        }
        if (present || (!exact.isEmpty() && exact.contains(s))) {
            return true;
        }
        for (String p : prefixes) {
            if (s.startsWith(p)) {
                return true;
            }
        }
        for (String p : suffixes) {
            if (s.endsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** The first pattern (in file order) that matches, for explanations. */
    @Nullable
    StringMatch firstMatch(@Nullable String s) {
        for (StringMatch m : patterns) {
            if (m.matches(s)) {
                return m;
            }
        }
        return null;
    }

    List<StringMatch> patterns() {
        return patterns;
    }

    @Override
    public String toString() {
        return patterns.toString();
    }
}
