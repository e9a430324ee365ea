package io.netns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RunDirTest {
    @Test
    void unsetOrBlankIsRun() {
        assertEquals(Path.of("/run"), RunDir.configured(null));
        assertEquals(Path.of("/run"), RunDir.configured("  "));
    }

    @Test
    void anAbsolutePathIsTakenNormalized() {
        assertEquals(Path.of("/tmp/x"), RunDir.configured(" /tmp/./x/ "));
    }

    @Test
    void aRelativePathIsRefusedNamingTheValueAndTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunDir.configured("run/here"));
        assertTrue(e.getMessage().contains("'run/here'") && e.getMessage().contains("absolute")
                && e.getMessage().contains(RunDir.PROPERTY), e.getMessage());
    }
}
