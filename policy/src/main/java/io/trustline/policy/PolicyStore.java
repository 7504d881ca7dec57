package io.trustline.policy;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.lint.Lint;
import io.trustline.policy.lint.LintWarning;
import io.trustline.policy.model.Policy;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the policy engine in force for a directory and replaces it when the files change.
 *
 * <p>A new version is read, validated and compiled completely before it is swapped in with one
 * atomic write, so a request sees either the old engine or the new one. A version that fails
 * validation is rejected: the last good engine stays in force, a warning is logged with every
 * error, and listeners hear {@link Outcome#FAILURE} (once per distinct bad content, not on every
 * periodic check). {@link #reload()} keeps answering {@link Outcome#FAILURE} with those errors as
 * long as the rejected content is what is on disk, whoever tried it first. Changes are noticed by a {@link WatchService} (debounced, since editors and
 * {@code kubectl} write in several steps) and by a periodic re-check that catches what watchers
 * miss (network file systems, ConfigMap symlink swaps).
 *
 * <p>Every version taken into use is linted ({@link Lint}): each finding is logged once, when the version is loaded,
 * and {@link #lintWarnings()} lists the findings of the version in force. Findings never stop a load.
 *
 * <pre>{@code
 * PolicyStore store = PolicyStore.builder(Path.of("/etc/trustline/policies"))
 *         .listener(e -> metrics.countReload(e.outcome()))
 *         .build();          // throws PolicyParseException with all errors if the directory is bad
 * store.start();
 * Decision d = store.engine().decide(request);
 * }</pre>
 */
public final class PolicyStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PolicyStore.class);

    /** The result of one reload attempt. */
    public enum Outcome {
        /** A new version is in force. */
        SUCCESS,
        /**
         * The files on disk failed validation, now or in an earlier attempt (the watcher's, say); the previous
         * version stays in force.
         */
        FAILURE,
        /** The files on disk are the version in force. */
        UNCHANGED
    }

    /**
     * What a reload did.
     *
     * @param activeVersion the version in force after the attempt
     * @param candidateVersion the version that was read (rejected on failure)
     * @param errors the validation errors on failure, else empty
     */
    public record ReloadEvent(
            Outcome outcome, String activeVersion, @Nullable String candidateVersion, List<PolicyError> errors) {
        public ReloadEvent {
            requireNonNull(outcome, "outcome");
            requireNonNull(activeVersion, "activeVersion");
            errors = List.copyOf(errors);
        }
    }

    /** Hears about reloads that succeeded or failed (not about unchanged checks). */
    @FunctionalInterface
    public interface Listener {
        void onReload(ReloadEvent event);
    }

    private final Path dir;
    private final Duration checkInterval;
    private final Duration debounce;
    private final boolean watch;
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final List<Listener> listeners;
    private final Lint lint;
    /**
     * The engine in force with its lint findings, swapped together (one volatile write) so that both always describe
     * one version.
     */
    private volatile InForce inForce;

    private final AtomicBoolean checkPending = new AtomicBoolean();
    private volatile long lastSignalNanos;
    private @Nullable String lastRejectedVersion;
    private List<PolicyError> lastRejectedErrors = List.of();
    private @Nullable WatchService watchService;
    private @Nullable Thread watchThread;
    private volatile boolean closed;
    private boolean started;

    /**
     * A version in force: its engine and what the lint found in it, read together.
     *
     * @param lintWarnings the lint's findings, sorted by position
     */
    public record InForce(PolicyEngine engine, List<LintWarning> lintWarnings) {
        public InForce {
            requireNonNull(engine, "engine");
            lintWarnings = List.copyOf(lintWarnings);
        }
    }

    private PolicyStore(Builder b, PolicyEngine initial) {
        this.dir = b.dir;
        this.lint = b.lint;
        this.checkInterval = b.checkInterval;
        this.debounce = b.debounce;
        this.watch = b.watch;
        this.ownScheduler = b.scheduler == null;
        this.scheduler = b.scheduler != null
                ? b.scheduler
                : Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "trustline-policy-reload");
                    t.setDaemon(true);
                    return t;
                });
        this.listeners = new CopyOnWriteArrayList<>(b.listeners);
        this.inForce = takeIntoUse(initial);
    }

    /**
     * Lints a version about to be taken into use and logs its warnings, once per version: those of the reader (a
     * '*' CORS origin) and the lint's findings.
     */
    private InForce takeIntoUse(PolicyEngine e) {
        for (PolicyError w : e.warnings()) {
            log.atWarn().setMessage("policy warning").addKeyValue("warning", w).log();
        }
        List<LintWarning> findings = lint.check(e);
        for (LintWarning w : findings) {
            log.atWarn()
                    .setMessage("policy lint warning")
                    .addKeyValue("code", w.code())
                    .addKeyValue("at", w.origin())
                    .addKeyValue("version", e.version())
                    .addKeyValue("warning", w.message())
                    .log();
        }
        return new InForce(e, findings);
    }

    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** The engine in force. Read it once per request and use that one for the whole request. */
    public PolicyEngine engine() {
        return inForce.engine();
    }

    /** The version in force with its lint findings, from one read (an engine and findings of one version). */
    public InForce inForce() {
        return inForce;
    }

    /** The lint's findings for the version in force, sorted by position. */
    public List<LintWarning> lintWarnings() {
        return inForce.lintWarnings();
    }

    /**
     * The policy of one service in force, as a supplier: each call reads the engine in force (the one atomic write
     * of a reload makes a new version visible as a whole) and returns its {@link PolicyEngine#forService view} of
     * {@code service}, the same instance until the next successful reload. A rejected reload changes nothing.
     */
    public Supplier<ServicePolicy> forService(String service) {
        requireNonNull(service, "service");
        return () -> inForce.engine().forService(service);
    }

    /** The version in force (a content hash of the policy files). */
    public String version() {
        return engine().version();
    }

    public Path directory() {
        return dir;
    }

    public void addListener(Listener l) {
        listeners.add(requireNonNull(l, "listener"));
    }

    /**
     * Starts watching the directory and the periodic re-check. Reloads then happen on the
     * scheduler's thread.
     */
    public synchronized void start() throws IOException {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (started) {
            return;
        }
        started = true;
        if (watch) {
            WatchService ws = FileSystems.getDefault().newWatchService();
            dir.register(
                    ws,
                    StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            watchService = ws;
            Thread t = new Thread(() -> watchLoop(ws), "trustline-policy-watch");
            t.setDaemon(true);
            t.start();
            watchThread = t;
        }
        if (!checkInterval.isZero()) {
            long nanos = checkInterval.toNanos();
            scheduler.scheduleWithFixedDelay(this::reloadQuietly, nanos, nanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Checks the directory now and swaps in a new version if it changed and is valid. Safe to call
     * from any thread; attempts are serialised.
     */
    public synchronized ReloadEvent reload() {
        PolicyEngine current = engine();
        PolicyLoader.DirectoryContent content;
        try {
            content = PolicyLoader.read(dir);
        } catch (PolicyParseException e) {
            return rejected(current, null, e.errors());
        }
        if (content.version().equals(current.version())) {
            return new ReloadEvent(Outcome.UNCHANGED, current.version(), content.version(), List.of());
        }
        if (content.version().equals(lastRejectedVersion)) {
            return stillRejected(current, content.version());
        }
        List<Policy> policies;
        try {
            policies = PolicyLoader.parse(content);
        } catch (PolicyParseException e) {
            return rejected(current, content.version(), e.errors());
        }
        PolicyEngine next = PolicyEngine.compile(policies, content.version());
        inForce = takeIntoUse(next);
        lastRejectedVersion = null;
        lastRejectedErrors = List.of();
        log.atInfo()
                .setMessage("policy reloaded")
                .addKeyValue("version", next.version())
                .addKeyValue("previous", current.version())
                .addKeyValue("policies", policies.size())
                .addKeyValue("files", content.files().size())
                .log();
        return notify(new ReloadEvent(Outcome.SUCCESS, next.version(), next.version(), List.of()));
    }

    private ReloadEvent rejected(PolicyEngine current, @Nullable String candidate, List<PolicyError> errors) {
        // A directory that cannot even be read has no content hash: its errors stand in for one.
        String key = candidate != null ? candidate : "unreadable:" + errors;
        if (key.equals(lastRejectedVersion)) {
            return stillRejected(current, candidate);
        }
        lastRejectedVersion = key;
        lastRejectedErrors = List.copyOf(errors);
        // One line per rejection, with every error as file:line:column: message, so that a log search for the
        // rejection finds why.
        log.atWarn()
                .setMessage("policy reload rejected, previous version stays in force")
                .addKeyValue("version", current.version())
                .addKeyValue("rejected", candidate)
                .addKeyValue("error_count", errors.size())
                .addKeyValue(
                        "errors", errors.stream().map(PolicyError::toString).collect(Collectors.joining("; ")))
                .log();
        return notify(new ReloadEvent(Outcome.FAILURE, current.version(), candidate, errors));
    }

    /**
     * The content on disk is the one rejected before: still a failure with the same errors, so a caller asking
     * after the watcher's attempt is not told all is well, but no second warning or listener event.
     */
    private ReloadEvent stillRejected(PolicyEngine current, @Nullable String candidate) {
        return new ReloadEvent(Outcome.FAILURE, current.version(), candidate, lastRejectedErrors);
    }

    private ReloadEvent notify(ReloadEvent e) {
        for (Listener l : listeners) {
            try {
                l.onReload(e);
            } catch (RuntimeException ex) {
                log.atWarn()
                        .setMessage("policy reload listener failed")
                        .setCause(ex)
                        .log();
            }
        }
        return e;
    }

    private void reloadQuietly() {
        try {
            reload();
        } catch (RuntimeException e) {
            // Keep the periodic task alive whatever happens; the old engine stays in force.
            log.atError()
                    .setMessage("policy reload failed unexpectedly")
                    .setCause(e)
                    .log();
        }
    }

    private void watchLoop(WatchService ws) {
        try {
            while (!closed) {
                WatchKey key = ws.take();
                key.pollEvents();
                signalChange();
                if (!key.reset()) {
                    log.atWarn()
                            .setMessage("policy directory no longer watchable, periodic checks continue")
                            .addKeyValue("dir", dir)
                            .log();
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** Debounces change signals: a reload runs once the directory has been quiet for a while. */
    void signalChange() {
        lastSignalNanos = System.nanoTime();
        if (checkPending.compareAndSet(false, true)) {
            scheduler.schedule(this::debouncedReload, debounce.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void debouncedReload() {
        long quiet = System.nanoTime() - lastSignalNanos;
        if (quiet < debounce.toNanos()) {
            scheduler.schedule(this::debouncedReload, debounce.toNanos() - quiet, TimeUnit.NANOSECONDS);
            return;
        }
        checkPending.set(false);
        reloadQuietly();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                log.atDebug()
                        .setMessage("closing watch service failed")
                        .setCause(e)
                        .log();
            }
        }
        if (watchThread != null) {
            watchThread.interrupt();
        }
        if (ownScheduler) {
            scheduler.shutdownNow();
        }
    }

    /** Configures a {@link PolicyStore}. */
    public static final class Builder {
        private final Path dir;
        private Duration checkInterval = Duration.ofSeconds(10);
        private Duration debounce = Duration.ofMillis(250);
        private boolean watch = true;
        private @Nullable ScheduledExecutorService scheduler;
        private final List<Listener> listeners = new ArrayList<>();
        private Lint lint = Lint.of();

        private Builder(Path dir) {
            this.dir = requireNonNull(dir, "dir");
        }

        /** How often the directory is re-checked besides file events. Default 10s; zero disables. */
        public Builder checkInterval(Duration interval) {
            requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("checkInterval: " + interval + " (expected: >= 0)");
            }
            this.checkInterval = interval;
            return this;
        }

        /** How long the directory must be quiet after a file event before reloading. Default 250ms. */
        public Builder debounce(Duration debounce) {
            requireNonNull(debounce, "debounce");
            if (debounce.isNegative()) {
                throw new IllegalArgumentException("debounce: " + debounce + " (expected: >= 0)");
            }
            this.debounce = debounce;
            return this;
        }

        /** Whether to use a {@link WatchService}. Default true; periodic checks run either way. */
        public Builder watch(boolean watch) {
            this.watch = watch;
            return this;
        }

        /**
         * The executor reloads run on. Default: a daemon thread owned (and shut down) by the store.
         * A given executor is not shut down by {@link #close()}.
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * The lint each loaded version is checked with. Default: {@link Lint#of()} (unsatisfiable and shadowed rules;
         * no trust domain or service list).
         */
        public Builder lint(Lint lint) {
            this.lint = requireNonNull(lint, "lint");
            return this;
        }

        public Builder listener(Listener listener) {
            listeners.add(requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Loads the directory. Starting with bad policies is a hard error: nothing would be safe
         * to enforce.
         *
         * @throws PolicyParseException with every error of every file
         */
        public PolicyStore build() throws PolicyParseException {
            PolicyEngine initial = PolicyLoader.load(dir);
            log.atInfo()
                    .setMessage("policy loaded")
                    .addKeyValue("dir", dir)
                    .addKeyValue("version", initial.version())
                    .addKeyValue("policies", initial.policies().size())
                    .log();
            return new PolicyStore(this, initial);
        }
    }
}
