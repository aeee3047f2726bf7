package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** An event's time reads as {@link OffsetDateTime#parse} reads it, valid or not. */
class EventTimeTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "2026-12-05T15:37:06Z", "2026-12-05T15:37:06.150Z", "2026-12-05T15:37:06.123456789Z",
        "2026-12-05T15:37:06.1+01:00", "2026-12-05T15:37:06-07:30", "2026-12-05T15:37:06-00:00",
        "2024-02-29T23:59:59.999+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-18:00",
        "2026-12-05t15:37:06z", "2026-12-05T15:37Z", "+12026-12-05T15:37:06Z", "2026-12-05T15:37:06+01:00:30",
        "2026-12-05T15:37:06+01", "2026-12-05T15:37:06.Z"})
    void aValidTime_readsAsOffsetDateTimeParseReadsIt(String text) {
        assertThat(EventTime.parse(text)).isEqualTo(OffsetDateTime.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "yesterday", "2026-12-05", "2026-12-05T15:37:06", "2026-12-05 15:37:06Z", "2026-13-05T15:37:06Z",
        "2026-02-30T15:37:06Z", "2025-02-29T15:37:06Z", "2026-12-05T24:00:00Z", "2026-12-05T15:60:06Z",
        "2026-12-05T15:37:60Z", "2026-12-05T15:37:06+0100", "2026-12-05T15:37:06.1234567890Z", "2026-12-05T15:37:06+19:00",
        "2026-12-05T15:37:06+01:60", "2026-12-05T15:37:06Z ", "2026-12-05T15:37:06ZZ", "2026-1a-05T15:37:06Z",
        "2026-12-05T15:37:06+1:00", "2026-12-05T15:37:06.5"})
    void anInvalidTime_isRefusedAsOffsetDateTimeParseRefusesIt(String text) {
        assertThatThrownBy(() -> OffsetDateTime.parse(text)).isInstanceOf(DateTimeParseException.class);
        assertThatThrownBy(() -> EventTime.parse(text)).isInstanceOf(DateTimeParseException.class);
    }

    @Test
    void randomTimesInTheCommonForms_readAsOffsetDateTimeParseReadsThem() {
        Random random = new Random(17);
        for (int i = 0; i < 20_000; i++) {
            OffsetDateTime time = OffsetDateTime.of(1 + random.nextInt(9999), 1 + random.nextInt(12),
                    1 + random.nextInt(28), random.nextInt(24), random.nextInt(60), random.nextInt(60),
                    random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000),
                    ZoneOffset.ofTotalSeconds((random.nextInt(35) - 17) * 3600 + (random.nextBoolean() ? 0 : 1800)
                            * (random.nextBoolean() ? 1 : 0)));
            String text = random.nextBoolean() ? time.toString()
                    : DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time);
            assertThat(EventTime.parse(text)).as(text).isEqualTo(OffsetDateTime.parse(text));
        }
    }
}
