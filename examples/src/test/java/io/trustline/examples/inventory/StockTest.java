package io.trustline.examples.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StockTest {

    @Test
    void reservesWhatIsThereAndRefusesWhatIsNot() {
        final Stock stock = Stock.seeded();
        final Stock.Reservation r = stock.reserve("teapot", 2);
        assertThat(r).isNotNull();
        assertThat(r.remaining()).isZero();
        assertThat(stock.reserve("teapot", 1)).isNull();
        assertThat(stock.reserve("unicorn", 1)).isNull();
        assertThat(stock.available("unicorn")).isEmpty();
        assertThatThrownBy(() -> stock.reserve("tea", 0)).hasMessageContaining("expected: > 0");
    }

    @Test
    void concurrentReservationsNeverOversell() {
        final Stock stock = Stock.seeded();
        final AtomicInteger granted = new AtomicInteger();
        final List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(CompletableFuture.runAsync(() -> {
                for (int j = 0; j < 20; j++) {
                    if (stock.reserve("mug", 1) != null) {
                        granted.incrementAndGet();
                    }
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
        assertThat(granted).hasValue(10);
        assertThat(stock.available("mug")).hasValue(0);
    }
}
