package io.trustline.examples.compose;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One docker-compose project run through the Compose CLI ({@code docker compose}, else Debian's
 * {@code docker-compose}): a unique project name, so a run never meets another's containers, and free host ports.
 */
final class ComposeProject {

    /** What a command printed (stdout and stderr together) and its exit code. */
    record Result(int exitCode, String output) {}

    private final Path directory;
    private final List<String> compose;
    private final Map<String, String> env = new HashMap<>();

    ComposeProject(Path directory, String projectName) {
        this.directory = directory;
        this.compose = composeCommand();
        env.put("COMPOSE_PROJECT_NAME", projectName);
    }

    /** Whether a Docker engine answers. */
    static boolean engineAnswers() {
        return run(Path.of("."), List.of("docker", "info"), Map.of(), 60).exitCode() == 0;
    }

    /** Whether a local image exists. */
    static boolean imageExists(String image) {
        return run(Path.of("."), List.of("docker", "image", "inspect", image), Map.of(), 60)
                        .exitCode()
                == 0;
    }

    /** Whether some Compose CLI is installed. */
    static boolean composeInstalled() {
        return composeCommand() != null;
    }

    ComposeProject env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Sets {@code name} to a free host port and returns it. */
    int freePort(String name) throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            env.put(name, Integer.toString(s.getLocalPort()));
            return s.getLocalPort();
        }
    }

    Result compose(long timeoutSeconds, String... args) {
        final List<String> cmd = new ArrayList<>(compose);
        cmd.addAll(List.of(args));
        return run(directory, cmd, env, timeoutSeconds);
    }

    private static List<String> composeCommand() {
        if (run(Path.of("."), List.of("docker", "compose", "version"), Map.of(), 30)
                        .exitCode()
                == 0) {
            return List.of("docker", "compose");
        }
        if (run(Path.of("."), List.of("docker-compose", "version"), Map.of(), 30)
                        .exitCode()
                == 0) {
            return List.of("docker-compose");
        }
        return null;
    }

    private static Result run(Path dir, List<String> cmd, Map<String, String> env, long timeoutSeconds) {
        try {
            final ProcessBuilder pb =
                    new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(env);
            final Process p = pb.start();
            // Read while it runs: a full pipe would stall the command.
            final StringBuilder out = new StringBuilder();
            final Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    out.append("(output lost: ").append(e).append(')');
                }
            });
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                reader.join(5_000);
                return new Result(-1, String.join(" ", cmd) + ": timed out after " + timeoutSeconds + " s\n" + out);
            }
            reader.join();
            return new Result(p.exitValue(), out.toString());
        } catch (IOException e) {
            return new Result(-1, String.join(" ", cmd) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, String.join(" ", cmd) + ": interrupted");
        }
    }
}
