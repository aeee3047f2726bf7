package io.berth.agent.sandbox;

import io.berth.agent.os.Mounts;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The operator's say on {@code favordynmods}; that an agent's start sets it is {@code cli/CgroupDynmodsStartTest}'s. */
class CgroupDynmodsTest {
    @Test
    void onByDefault_offWhenTheOperatorSaysSo_andAnythingElseIsRefusedNamingTheVariable() {
        assertThat(CgroupDynmods.wantedBy(Map.of())).isTrue();
        assertThat(CgroupDynmods.wantedBy(Map.of(CgroupDynmods.ENV, " "))).isTrue();
        assertThat(CgroupDynmods.wantedBy(Map.of(CgroupDynmods.ENV, "ON"))).isTrue();
        assertThat(CgroupDynmods.wantedBy(Map.of(CgroupDynmods.ENV, "off"))).isFalse();
        assertThatThrownBy(() -> CgroupDynmods.wantedBy(Map.of(CgroupDynmods.ENV, "yes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(CgroupDynmods.ENV).hasMessageContaining("yes");
    }

    @Test
    void off_leavesTheMountAsItIs() throws Exception {
        Mounts.Mount before = Mounts.firstOfType("cgroup2");
        assertThat(CgroupDynmods.favor(false)).contains(CgroupDynmods.ENV + "=off");
        assertThat(Mounts.firstOfType("cgroup2")).isEqualTo(before);
    }
}
