package io.berth.agent.probe;

import java.util.List;

/** Succeeds when every probe succeeds; otherwise answers with the first that did not. */
final class AllOfProbe implements Probe {
    private final List<Probe> probes;

    AllOfProbe(List<Probe> probes) {
        if (probes.isEmpty()) {
            throw new IllegalArgumentException("allOf needs at least one probe");
        }
        this.probes = List.copyOf(probes);
    }

    @Override
    public ProbeResult check() {
        StringBuilder ok = new StringBuilder();
        for (Probe probe : probes) {
            ProbeResult r = probe.check();
            if (!r.isSuccess()) {
                return r;
            }
            ok.append(ok.length() == 0 ? "" : "; ").append(r.message());
        }
        return ProbeResult.success(ok.toString());
    }

    @Override
    public Pace pace() {
        Pace pace = probes.get(0).pace();
        for (Probe p : probes) {
            pace = pace.slowest(p.pace());
        }
        return pace;
    }

    @Override
    public boolean nonBlocking() {
        return probes.stream().allMatch(Probe::nonBlocking);
    }

    @Override
    public void close() {
        probes.forEach(Probe::close);
    }
}
