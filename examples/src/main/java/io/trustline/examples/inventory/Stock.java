package io.trustline.examples.inventory;

import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/** The inventory's stock levels, in memory, seeded with a few items. */
public final class Stock {

    /** The outcome of a reservation: its id and what is left, or empty when there is not enough stock. */
    public record Reservation(String id, int remaining) {}

    private final Map<String, Integer> available = new ConcurrentHashMap<>();
    private final AtomicLong reservations = new AtomicLong();

    /** Stock for the demo: tea, mugs and two teapots. */
    public static Stock seeded() {
        final Stock stock = new Stock();
        stock.available.put("tea", 50);
        stock.available.put("mug", 10);
        stock.available.put("teapot", 2);
        return stock;
    }

    /** How many of {@code sku} are available, if the item exists. */
    public OptionalInt available(String sku) {
        final Integer n = available.get(sku);
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }

    /**
     * Takes {@code quantity} of {@code sku} out of stock, atomically.
     *
     * @return the reservation, or {@code null} if the item is unknown or short
     */
    public @Nullable Reservation reserve(String sku, int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity: " + quantity + " (expected: > 0)");
        }
        final int[] left = {-1};
        available.computeIfPresent(sku, (k, n) -> {
            if (n >= quantity) {
                left[0] = n - quantity;
                return n - quantity;
            }
            return n;
        });
        if (left[0] < 0) {
            return null;
        }
        return new Reservation("r-" + reservations.incrementAndGet(), left[0]);
    }
}
