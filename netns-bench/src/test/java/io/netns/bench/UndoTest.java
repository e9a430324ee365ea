package io.netns.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Undo}: every step runs, last first, even when some fail; the first failure wins. */
class UndoTest {
    @Test
    void runsEveryStepInReverseAndThrowsTheFirstFailureWithTheOthersSuppressed() {
        List<String> ran = new ArrayList<>();
        IOException a = new IOException("a");
        IllegalStateException c = new IllegalStateException("c");
        Undo undo = new Undo()
                .push(() -> ran.add("1"))
                .push(() -> {
                    ran.add("2");
                    throw c;
                })
                .push(() -> ran.add("3"))
                .push(() -> {
                    ran.add("4");
                    throw a;
                });
        Exception thrown = assertThrows(Exception.class, undo::run);
        assertEquals(List.of("4", "3", "2", "1"), ran);
        assertSame(a, thrown);
        assertEquals(List.of(c), List.of(thrown.getSuppressed()));
    }

    @Test
    void abortUndoesAndRethrowsTheSetupFailure() throws Exception {
        List<String> ran = new ArrayList<>();
        Undo undo = new Undo();
        undo.closing(() -> ran.add("closed"));
        RuntimeException setup = new RuntimeException("setup failed");
        Exception thrown = assertThrows(Exception.class, () -> {
            throw undo.abort(setup);
        });
        assertSame(setup, thrown);
        assertEquals(List.of("closed"), ran);
        undo.run(); // forgotten: nothing runs twice
        assertEquals(List.of("closed"), ran);
    }
}
