package io.trustline.policy;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.model.Policy;
import io.trustline.policy.yaml.Problems;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads the policy files of one directory: every {@code *.yaml}/{@code *.yml} directly in it
 * except {@code *.cases.yaml}/{@code *.cases.yml} (policy tests) and hidden names (Kubernetes
 * mounts ConfigMaps through {@code ..data} links). Everything is validated before anything is
 * returned; all errors of all files are reported together.
 */
public final class PolicyLoader {

    /** Files larger than this are rejected: a policy is text written by people. */
    static final long MAX_FILE_BYTES = 4L * 1024 * 1024;

    private PolicyLoader() {}

    /** The files of a directory, read, with the content hash that names this version. */
    public record DirectoryContent(Path dir, List<PolicyFile> files, String version) {}

    /** One file: {@code displayName} is the directory as given joined with the file name. */
    public record PolicyFile(Path path, String displayName, byte[] content) {}

    /** Reads, validates and compiles a directory. */
    public static PolicyEngine load(Path dir) throws PolicyParseException {
        DirectoryContent c = read(dir);
        return PolicyEngine.compile(parse(c), c.version());
    }

    /** Whether a file name is a policy file of a directory. */
    public static boolean isPolicyFile(String name) {
        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml")) && !isCasesFile(name);
    }

    /** Whether a file name is a policy test file ({@code *.cases.yaml}). */
    public static boolean isCasesFile(String name) {
        return !name.startsWith(".") && (name.endsWith(".cases.yaml") || name.endsWith(".cases.yml"));
    }

    /**
     * Reads the policy files of {@code dir} (sorted by name) and hashes them. The version is the
     * first 12 hex digits of SHA-256 over every file's name and content, so the same files give
     * the same version on every sidecar.
     */
    public static DirectoryContent read(Path dir) throws PolicyParseException {
        if (!Files.isDirectory(dir)) {
            throw new PolicyParseException(List.of(PolicyError.ofFile(dir.toString(), "not a directory")));
        }
        List<Path> paths;
        try (Stream<Path> s = Files.list(dir)) {
            paths = s.filter(p -> isPolicyFile(p.getFileName().toString()))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new PolicyParseException(
                    List.of(PolicyError.ofFile(dir.toString(), "cannot list: " + e.getMessage())));
        }
        List<PolicyError> errors = new ArrayList<>();
        List<PolicyFile> files = new ArrayList<>();
        MessageDigest sha = sha256();
        for (Path p : paths) {
            String name = dir.resolve(p.getFileName()).toString();
            try {
                if (Files.size(p) > MAX_FILE_BYTES) {
                    errors.add(PolicyError.ofFile(
                            name, "file too large (expected: at most " + MAX_FILE_BYTES + " bytes)"));
                    continue;
                }
                byte[] content = Files.readAllBytes(p);
                files.add(new PolicyFile(p, name, content));
                sha.update(p.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(content);
                sha.update((byte) 0);
            } catch (IOException e) {
                errors.add(PolicyError.ofFile(name, "cannot read: " + e.getMessage()));
            }
        }
        if (!errors.isEmpty()) {
            throw new PolicyParseException(errors);
        }
        String version = HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        return new DirectoryContent(dir, List.copyOf(files), version);
    }

    /**
     * What parsing a directory gave: the policies that are valid on their own, and every error. Tools use the valid
     * part to say more about a directory that has errors; nothing may enforce it.
     */
    public record Parsed(List<Policy> policies, List<PolicyError> errors) {
        public Parsed {
            policies = List.copyOf(policies);
            errors = List.copyOf(errors);
        }
    }

    /** Parses and validates read files, together. */
    public static List<Policy> parse(DirectoryContent content) throws PolicyParseException {
        Parsed parsed = parseAll(content);
        if (!parsed.errors().isEmpty()) {
            throw new PolicyParseException(parsed.errors());
        }
        return parsed.policies();
    }

    /** Parses and validates read files, together, keeping the valid documents beside the errors. */
    public static Parsed parseAll(DirectoryContent content) {
        List<PolicyError> errors = new ArrayList<>();
        List<Policy> policies = new ArrayList<>();
        for (PolicyFile f : content.files()) {
            Problems problems = new Problems(f.displayName());
            String text;
            try {
                text = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(f.content()))
                        .toString();
            } catch (CharacterCodingException e) {
                errors.add(PolicyError.ofFile(f.displayName(), "not UTF-8 text"));
                continue;
            }
            // A policy file always sits in a directory, so its absolute path has a parent.
            Path base = requireNonNull(f.path().toAbsolutePath().getParent(), "parent of a policy file");
            policies.addAll(PolicyParser.parse(text, base, problems));
            errors.addAll(problems.errors());
        }
        errors.addAll(PolicyParser.validateTogether(policies));
        return new Parsed(policies, errors);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
