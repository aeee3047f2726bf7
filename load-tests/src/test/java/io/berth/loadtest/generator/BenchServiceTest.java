package io.berth.loadtest.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.config.ServiceRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchServiceTest {
    @Test
    void listenStamp_readsEpochMicrosFromTheListenersLogLine() {
        assertThat(BenchService.listenStamp("listening on 7001 at 1795668889.123456\n"))
                .hasValue(1_795_668_889_123_456L);
        assertThat(BenchService.listenStamp("bind 7001: Address already in use\n")).isEmpty();
    }

    @Test
    void requests_nameServicesAndGiveThemConsecutivePorts_probedByTheDefaultPortProbe() {
        List<ServiceRequest> services = BenchService.LISTENER.requests(2, 7001);

        assertThat(services).extracting(ServiceRequest::name).containsExactly("s1", "s2");
        assertThat(services.get(1).config().ports()).singleElement()
                .satisfies(p -> assertThat(p.number()).isEqualTo(7002));
        assertThat(services.get(0).config().startupProbe().run()).isNull();
        assertThat(services.get(0).config().run().args()).endsWith("7001");
    }
}
