package io.trustline.policy.engine;

import io.trustline.policy.model.StringMatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An index of rules by method and path prefix, so that a decision looks at the few rules that
 * could match rather than at all of them. Rules sit in a trie of path segments at the deepest node
 * their path (or gRPC) patterns pin down ({@code /api/orders/*} at {@code api -> orders}); rules
 * without such a prefix sit at the root. A lookup walks the request's segments and, at each node,
 * looks only at the rules for the request's method.
 *
 * <p>The index only narrows: every candidate is still checked with all its conditions, so a rule
 * placed too high can cost time but never change a decision. Walking allocates nothing: segments
 * are looked up by hashing the path in place.
 */
final class PathIndex {

    private static final CompiledRule[] NONE = new CompiledRule[0];

    private final Node root;
    private final boolean anyNeedsToken;
    private final int size;

    private PathIndex(Node root, boolean anyNeedsToken, int size) {
        this.root = root;
        this.anyNeedsToken = anyNeedsToken;
        this.size = size;
    }

    static PathIndex build(List<CompiledRule> rules) {
        BuildNode root = new BuildNode();
        boolean token = false;
        for (CompiledRule r : rules) {
            token |= r.needsToken();
            for (List<String> segments : placements(r)) {
                BuildNode n = root;
                for (String s : segments) {
                    n = n.children.computeIfAbsent(s, k -> new BuildNode());
                }
                n.add(r);
            }
        }
        return new PathIndex(root.freeze(), token, rules.size());
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean anyNeedsToken() {
        return anyNeedsToken;
    }

    /**
     * The matching rule with the lowest index, or null.
     *
     * @param ignoreToken match as if the request carried the token the rule needs
     */
    @Nullable
    CompiledRule first(AuthzRequest r, boolean ignoreToken) {
        if (size == 0) {
            return null;
        }
        int slot = Methods.slot(r.method());
        String path = r.path();
        CompiledRule best = null;
        Node n = root;
        int pos = 1;
        while (true) {
            best = scan(n.rules[slot], r, best, ignoreToken);
            if (n.keys == null || pos > path.length()) {
                return best;
            }
            int end = path.indexOf('/', pos);
            if (end < 0) {
                end = path.length();
            }
            n = n.child(path, pos, end);
            if (n == null) {
                return best;
            }
            pos = end + 1;
        }
    }

    private static @Nullable CompiledRule scan(
            CompiledRule[] rules, AuthzRequest r, @Nullable CompiledRule best, boolean ignoreToken) {
        for (CompiledRule c : rules) {
            if (best != null && c.index >= best.index) {
                return best;
            }
            if (ignoreToken ? c.matchesIgnoringToken(r) : c.matches(r)) {
                return c;
            }
        }
        return best;
    }

    /** The trie positions (segment lists) a rule goes to. */
    private static List<List<String>> placements(CompiledRule r) {
        List<StringMatch> paths = r.rule.to().paths();
        String prefix = "";
        if (paths.isEmpty()) {
            // gRPC method patterns pin down the path too: the path of a gRPC call is /Service/Method.
            paths = r.rule.to().grpc();
            prefix = "/";
        }
        List<List<String>> out = new ArrayList<>();
        if (paths.isEmpty()) {
            out.add(List.of());
            return out;
        }
        for (StringMatch m : paths) {
            String v = prefix + m.value();
            if ((m.kind() != StringMatch.Kind.EXACT && m.kind() != StringMatch.Kind.PREFIX) || !v.startsWith("/")) {
                return List.of(List.of());
            }
            List<String> segments = new ArrayList<>(List.of(v.substring(1).split("/", -1)));
            if (m.kind() == StringMatch.Kind.PREFIX) {
                // The last piece of a prefix is partial ("/api/ord*" may be "/api/orders").
                segments.remove(segments.size() - 1);
            }
            out.add(segments);
        }
        return out;
    }

    private static final class BuildNode {
        final Map<String, BuildNode> children = new LinkedHashMap<>();
        final List<List<CompiledRule>> bySlot = new ArrayList<>();

        BuildNode() {
            for (int i = 0; i < Methods.SLOTS; i++) {
                bySlot.add(new ArrayList<>());
            }
        }

        void add(CompiledRule r) {
            for (int i = 0; i < Methods.SLOTS; i++) {
                if ((r.methodSlots() & (1 << i)) != 0) {
                    List<CompiledRule> l = bySlot.get(i);
                    // Rules arrive in index order; a rule with two patterns on one node goes in once.
                    if (l.isEmpty() || l.get(l.size() - 1) != r) {
                        l.add(r);
                    }
                }
            }
        }

        Node freeze() {
            CompiledRule[][] rules = new CompiledRule[Methods.SLOTS][];
            for (int i = 0; i < Methods.SLOTS; i++) {
                rules[i] = bySlot.get(i).isEmpty() ? NONE : bySlot.get(i).toArray(CompiledRule[]::new);
            }
            if (children.isEmpty()) {
                return new Node(rules, null, null);
            }
            int cap = Integer.highestOneBit(Math.max(2, children.size()) * 2) * 2;
            String[] keys = new String[cap];
            Node[] nodes = new Node[cap];
            for (Map.Entry<String, BuildNode> e : children.entrySet()) {
                String k = e.getKey();
                int i = Node.hash(k, 0, k.length()) & (cap - 1);
                while (keys[i] != null) {
                    i = (i + 1) & (cap - 1);
                }
                keys[i] = k;
                nodes[i] = e.getValue().freeze();
            }
            return new Node(rules, keys, nodes);
        }
    }

    /** A frozen trie node: an open-addressing table of children keyed by segment. */
    private static final class Node {
        final CompiledRule[][] rules;
        final String @Nullable [] keys;
        final Node @Nullable [] children;

        Node(CompiledRule[][] rules, String @Nullable [] keys, Node @Nullable [] children) {
            this.rules = rules;
            this.keys = keys;
            this.children = children;
        }

        @Nullable
        Node child(String path, int start, int end) {
            String[] k = keys;
            Node[] c = children;
            if (k == null || c == null) {
                return null;
            }
            int mask = k.length - 1;
            int len = end - start;
            int i = hash(path, start, end) & mask;
            while (k[i] != null) {
                if (k[i].length() == len && path.regionMatches(start, k[i], 0, len)) {
                    return c[i];
                }
                i = (i + 1) & mask;
            }
            return null;
        }

        static int hash(String s, int start, int end) {
            int h = 0;
            for (int i = start; i < end; i++) {
                h = 31 * h + s.charAt(i);
            }
            return h ^ (h >>> 16);
        }
    }
}
