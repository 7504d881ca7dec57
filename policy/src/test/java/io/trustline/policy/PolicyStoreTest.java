package io.trustline.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.policy.error.PolicyParseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyStoreTest {

    private static final AuthzRequest GET_ITEMS =
            AuthzRequest.builder("orders", "GET", "/items").build();

    @TempDir
    Path dir;

    private static String policy(String name, String path) {
        return """
                apiVersion: trustline.io/v1
                kind: Policy
                metadata: {name: %s}
                spec:
                  service: orders
                  rules:
                    - {name: r, action: allow, to: {paths: ["%s"]}}
                """.formatted(name, path);
    }

    private Path write(String file, String content) throws Exception {
        // Write then move, as editors and kubectl do, so a watcher never sees half a file.
        Path tmp = Files.writeString(dir.resolve("." + file + ".tmp"), content);
        return Files.move(
                tmp,
                dir.resolve(file),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void aGoodChangeTakesEffectWithoutRestartingAndABadOneKeepsTheLastGoodVersion() throws Exception {
        write("orders.yaml", policy("orders", "/other"));
        List<PolicyStore.ReloadEvent> events = new CopyOnWriteArrayList<>();
        try (PolicyStore store = PolicyStore.builder(dir)
                .debounce(Duration.ofMillis(50))
                .checkInterval(Duration.ofMillis(200))
                .listener(events::add)
                .build()) {
            store.start();
            String v1 = store.version();
            assertThat(store.engine().decide(GET_ITEMS).allowed()).isFalse();

            write("orders.yaml", policy("orders", "/items"));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> store.engine().decide(GET_ITEMS).allowed());
            String v2 = store.version();
            assertThat(v2).isNotEqualTo(v1);
            assertThat(events).anySatisfy(e -> {
                assertThat(e.outcome()).isEqualTo(PolicyStore.Outcome.SUCCESS);
                assertThat(e.activeVersion()).isEqualTo(v2);
            });

            write("orders.yaml", policy("orders", "/items").replace("action: allow", "action: permit"));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> events.stream().anyMatch(e -> e.outcome() == PolicyStore.Outcome.FAILURE));
            PolicyStore.ReloadEvent failure = events.stream()
                    .filter(e -> e.outcome() == PolicyStore.Outcome.FAILURE)
                    .findFirst()
                    .orElseThrow();
            assertThat(failure.activeVersion()).isEqualTo(v2);
            assertThat(failure.candidateVersion()).isNotEqualTo(v2);
            assertThat(failure.errors()).singleElement().satisfies(e -> {
                assertThat(e.line()).isEqualTo(7);
                assertThat(e.message()).startsWith("rules.action: 'permit'");
            });
            assertThat(store.version()).isEqualTo(v2);
            assertThat(store.engine().decide(GET_ITEMS).allowed()).isTrue();

            // The periodic check sees the same bad content again: no new event, no new log line, but a caller
            // still hears that the files on disk are rejected, with their errors.
            int before = events.size();
            PolicyStore.ReloadEvent again = store.reload();
            assertThat(again.outcome()).isEqualTo(PolicyStore.Outcome.FAILURE);
            assertThat(again.errors()).isNotEmpty();
            assertThat(again.activeVersion()).isEqualTo(v2);
            assertThat(events).hasSize(before);

            Files.delete(dir.resolve("orders.yaml"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !store.version().equals(v2));
            assertThat(store.engine().decide(GET_ITEMS).reason().code()).isEqualTo("authz.no_policy");
        }
    }

    @Test
    void reloadSwapsOnlyWhenTheContentChanges() throws Exception {
        write("a.yaml", policy("a", "/x"));
        try (PolicyStore store = PolicyStore.builder(dir)
                .watch(false)
                .checkInterval(Duration.ZERO)
                .build()) {
            PolicyEngine first = store.engine();
            assertThat(store.reload().outcome()).isEqualTo(PolicyStore.Outcome.UNCHANGED);
            assertThat(store.engine()).isSameAs(first);

            write("b.yaml", policy("b", "/items"));
            PolicyStore.ReloadEvent e = store.reload();
            assertThat(e.outcome()).isEqualTo(PolicyStore.Outcome.SUCCESS);
            assertThat(store.engine()).isNotSameAs(first);
            assertThat(store.engine().decide(GET_ITEMS).rule()).isEqualTo("r");
            assertThat(store.engine().decide(GET_ITEMS).policy()).isEqualTo("b");
        }
    }

    @Test
    void aServiceViewIsSwappedWholeByAGoodReloadAndKeptByARejectedOne() throws Exception {
        write("a.yaml", policy("a", "/x"));
        try (PolicyStore store = PolicyStore.builder(dir)
                .watch(false)
                .checkInterval(Duration.ZERO)
                .build()) {
            Supplier<ServicePolicy> orders = store.forService("orders");
            ServicePolicy first = orders.get();
            assertThat(orders.get()).isSameAs(first);
            assertThat(first.version()).isEqualTo(store.version());
            assertThat(first.decide(GET_ITEMS).allowed()).isFalse();

            write("b.yaml", policy("b", "/items"));
            assertThat(store.reload().outcome()).isEqualTo(PolicyStore.Outcome.SUCCESS);
            ServicePolicy second = orders.get();
            assertThat(second).isNotSameAs(first);
            assertThat(second.version()).isEqualTo(store.version()).isNotEqualTo(first.version());
            assertThat(second.decide(GET_ITEMS).policy()).isEqualTo("b");
            // The view a request already holds is still the old version, whole.
            assertThat(first.decide(GET_ITEMS).allowed()).isFalse();
            assertThat(first.policies()).extracting(p -> p.name()).containsExactly("a");

            write("c.yaml", policy("c", "/c").replace("kind: Policy", "kind: Polcy"));
            assertThat(store.reload().outcome()).isEqualTo(PolicyStore.Outcome.FAILURE);
            assertThat(orders.get()).isSameAs(second);
        }
    }

    @Test
    void aBadFileMakesTheWholeNewVersionFailEvenIfOtherFilesAreGood() throws Exception {
        write("a.yaml", policy("a", "/items"));
        try (PolicyStore store = PolicyStore.builder(dir)
                .watch(false)
                .checkInterval(Duration.ZERO)
                .build()) {
            write(
                    "b.yaml",
                    "apiVersion: trustline.io/v1\nkind: Policy\nmetadata: {name: b}\nspec: {service: orders, bogus: 1}\n");
            write("c.yaml", policy("c", "/c"));
            PolicyStore.ReloadEvent e = store.reload();
            assertThat(e.outcome()).isEqualTo(PolicyStore.Outcome.FAILURE);
            assertThat(e.errors())
                    .singleElement()
                    .satisfies(
                            x -> assertThat(x.toString())
                                    .endsWith(
                                            "b.yaml:4:25: unknown field 'bogus' in spec (expected one of: service, mode, jwt, rules, rateLimits, penalty, cors, requestLimits, deprecations)"));
            assertThat(store.engine().policies()).extracting(p -> p.name()).containsExactly("a");
        }
    }

    @Test
    void startingWithABadDirectoryIsAHardErrorListingEveryProblem() throws Exception {
        write("a.yaml", policy("a", "/a/*/b"));
        write("b.yaml", policy("b", "/x").replace("kind: Policy", "kind: Polcy"));
        assertThatThrownBy(() -> PolicyStore.builder(dir).build())
                .isInstanceOf(PolicyParseException.class)
                .satisfies(t -> assertThat(((PolicyParseException) t).errors())
                        .extracting(e -> Path.of(e.file()).getFileName().toString() + ":" + e.line() + ":" + e.column())
                        .containsExactly("a.yaml:7:45", "b.yaml:2:7"));
        assertThatThrownBy(() -> PolicyStore.builder(dir.resolve("missing")).build())
                .isInstanceOf(PolicyParseException.class)
                .hasMessageContaining("not a directory");
    }

    @Test
    void theVersionIsAContentHashAndIgnoresCasesAndHiddenFiles() throws Exception {
        write("a.yaml", policy("a", "/x"));
        String v = PolicyLoader.load(dir).version();
        assertThat(v).matches("[0-9a-f]{12}");
        Files.writeString(dir.resolve("a.cases.yaml"), "cases: []");
        Files.writeString(dir.resolve(".hidden.yaml"), "not: a policy");
        Files.writeString(dir.resolve("notes.txt"), "x");
        assertThat(PolicyLoader.load(dir).version()).isEqualTo(v);
        write("a.yaml", policy("a", "/y"));
        assertThat(PolicyLoader.load(dir).version()).isNotEqualTo(v);
    }

    @Test
    void anEmptyDirectoryLoadsAndDeniesEverything() throws Exception {
        PolicyEngine engine = PolicyLoader.load(dir);
        assertThat(engine.policies()).isEmpty();
        assertThat(engine.decide(GET_ITEMS).reason().code()).isEqualTo("authz.no_policy");
    }
}
