package io.berth.agent.os;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SignalTest {
    @Test
    void numbersAreLinuxs_andAReleaseWithoutSignalSaysNone() {
        assertEquals(9, Signal.SIGKILL.number());
        assertEquals(15, Signal.SIGTERM.number());
        assertEquals(Optional.of(Signal.SIGSYS), Signal.of(31));
        assertEquals(Optional.empty(), Signal.of(0));
        assertEquals("none", Signal.reported(null));
        assertEquals("SIGKILL", Signal.reported(Signal.SIGKILL));
    }

    @Test
    void anEnginesStopSignal_isReadInEachOfItsSpellings_andNothingElse() {
        for (String said : new String[] {"SIGINT", "INT", "2", " sigint "}) {
            assertEquals(Optional.of(Signal.SIGINT), Signal.fromEngine(said), said);
        }
        for (String said : new String[] {"", "SIGRTMIN+3", "99", "123456789012", "KILLME"}) {
            assertEquals(Optional.empty(), Signal.fromEngine(said), said);
        }
        assertEquals(Optional.empty(), Signal.fromEngine(null));
    }
}
