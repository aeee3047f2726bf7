package io.berth.orchestrator.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementChainTest {
    private final PlacementChain chain = PlacementChain.standard();

    @Test
    void namedWorker_isChosen_evenWhenOthersAreEmptier() {
        var r = chain.place(new PlacementRequest("t1", "busy", 1),
                List.of(worker("busy", 10, 5), worker("idle", 10, 0)));
        assertEquals("busy", r.worker());
    }

    @Test
    void namedWorkerNotConnected_errorNamesTheRequestedWorkerStrategy() {
        var e = assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t1", "ghost", 1),
                List.of(worker("w1", 10, 0))));
        assertEquals("requested-worker", e.strategy());
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
    }

    @Test
    void noAgentConnected_isItsOwnReason() {
        var e = assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t1", null, 1), List.of()));
        assertEquals("connected", e.strategy());
    }

    @Test
    void unnamedTask_goesToTheWorkerWithFewestActiveServices() {
        var r = chain.place(new PlacementRequest("t1", null, 1),
                List.of(worker("a", 10, 3), worker("b", 10, 1), worker("c", 10, 2)));
        assertEquals("b", r.worker());
    }

    @Test
    void fullWorkers_areFilteredOut_andTheErrorNamesHasCapacity() {
        assertEquals("b", chain.place(new PlacementRequest("t1", null, 2),
                List.of(worker("a", 2, 1), worker("b", 4, 2))).worker());
        var e = assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t2", null, 3),
                List.of(worker("a", 2, 1), worker("b", 4, 2))));
        assertEquals("has-capacity", e.strategy());
    }

    @Test
    void drainingWorkers_takeNoUnnamedTasks_butKeepTheirOwn() {
        var drained = new WorkerCandidate("d", 10, 0, true);
        var e = assertThrows(NoWorkerException.class,
                () -> chain.place(new PlacementRequest("t1", null, 1), List.of(drained)));
        assertEquals("not-draining", e.strategy());
        assertEquals("d", chain.place(new PlacementRequest("t2", "d", 1), List.of(drained)).worker());
    }

    @Test
    void reservations_countAsActive_soConsecutiveTasksSpread_andReleaseRollsBack() {
        List<WorkerCandidate> workers = List.of(worker("a", 2, 0), worker("b", 2, 0));
        assertEquals("a", chain.place(new PlacementRequest("t1", null, 2), workers).worker());
        assertEquals("b", chain.place(new PlacementRequest("t2", null, 1), workers).worker());
        assertEquals("b", chain.place(new PlacementRequest("t3", null, 1), workers).worker());
        assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t4", null, 1), workers));
        chain.release("t1");
        assertEquals("a", chain.place(new PlacementRequest("t4", null, 1), workers).worker());
    }

    @Test
    void placingTheSameTaskTwice_returnsItsReservation() {
        List<WorkerCandidate> workers = List.of(worker("a", 0, 0), worker("b", 0, 0));
        var first = chain.place(new PlacementRequest("t1", null, 1), workers);
        assertEquals(first, chain.place(new PlacementRequest("t1", null, 1), workers));
        assertEquals(1, chain.reservedOn("a"));
    }

    @Test
    void theError_explainsInTheWordsOfTheStrategyThatLeftNoCandidate() {
        var ghost = assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t1", "ghost", 1),
                List.of(worker("w1", 10, 0))));
        var full = assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t2", null, 3),
                List.of(worker("a", 2, 1))));
        var drained = assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t3", null, 1),
                List.of(new WorkerCandidate("d", 10, 0, true))));

        assertTrue(ghost.getMessage().contains("the task's worker ghost is not connected"), ghost.getMessage());
        assertTrue(full.getMessage().contains("no worker has room for 3 more service(s)"), full.getMessage());
        assertTrue(drained.getMessage().contains("every worker is draining"), drained.getMessage());
        assertTrue(drained.getMessage().contains("candidates: d (0/10, draining)"), drained.getMessage());
    }

    @Test
    void reservedOn_followsReservationsAndReleases_perWorker() {
        List<WorkerCandidate> workers = List.of(worker("a", 0, 0), worker("b", 0, 0));
        chain.place(new PlacementRequest("t1", null, 2), workers);
        chain.place(new PlacementRequest("t2", null, 3), workers);
        chain.place(new PlacementRequest("t3", null, 1), workers);
        assertEquals(3, chain.reservedOn("a"));
        assertEquals(3, chain.reservedOn("b"));
        chain.release("t1");
        chain.release("t1");
        assertEquals(1, chain.reservedOn("a"));
        chain.release("t3");
        assertEquals(0, chain.reservedOn("a"));
    }

    @Test
    void workerWithNoRoom_countsAsFull_untilHeardFromAgain() {
        List<WorkerCandidate> workers = List.of(worker("a", 4, 0), worker("b", 4, 2));
        chain.markFull("a");
        assertEquals("b", chain.place(new PlacementRequest("t1", null, 2), workers).worker());
        chain.heardFrom("a");
        assertEquals("a", chain.place(new PlacementRequest("t2", null, 2), workers).worker());
    }

    @Test
    void goneWorker_takesNoTask_untilUpdatedAgain() {
        chain.update(worker("a", 4, 0));
        chain.update(worker("b", 4, 3));
        chain.gone("a");
        assertEquals("b", chain.place(new PlacementRequest("t1", null, 1)).worker());
        chain.gone("b");
        var e = assertThrows(NoWorkerException.class, () -> chain.place(new PlacementRequest("t2", null, 1)));
        assertEquals("connected", e.strategy());
        chain.update(worker("a", 4, 0));
        assertEquals("a", chain.place(new PlacementRequest("t2", null, 1)).worker());
    }

    @Test
    void reportedLoad_reordersTheWorkers() {
        chain.update(worker("a", 0, 0));
        chain.update(worker("b", 0, 1));
        assertEquals("a", chain.place(new PlacementRequest("t1", null, 1)).worker());
        chain.update(worker("a", 0, 5)); // a heartbeat: other instances' tasks run there too
        assertEquals("b", chain.place(new PlacementRequest("t2", null, 1)).worker());
    }

    /**
     * The index the chain keeps gives the same choice as running every worker through every strategy: random
     * workers, heartbeats, drains, disconnections, refusals and releases, checked after each change.
     */
    @Test
    void indexedChoice_isTheChoiceOfAFullScan_throughRandomChanges() {
        Random random = new Random(17);
        Map<String, WorkerCandidate> reported = new HashMap<>();
        Set<String> full = new HashSet<>();
        List<String> placed = new ArrayList<>();
        for (int step = 0; step < 5_000; step++) {
            String w = "w" + random.nextInt(40);
            switch (random.nextInt(8)) {
                case 0, 1 -> {
                    var c = new WorkerCandidate(w, random.nextInt(7), random.nextInt(6), random.nextInt(10) == 0);
                    reported.put(w, c);
                    chain.update(c);
                    chain.heardFrom(w);
                    full.remove(w);
                }
                case 2 -> {
                    reported.remove(w);
                    chain.gone(w);
                }
                case 3 -> {
                    chain.markFull(w);
                    full.add(w);
                }
                case 4 -> {
                    if (!placed.isEmpty()) {
                        chain.release(placed.remove(random.nextInt(placed.size())));
                    }
                }
                default -> {
                    String task = "t" + step;
                    String named = random.nextInt(10) == 0 ? w : null;
                    var request = new PlacementRequest(task, named, 1 + random.nextInt(3));
                    String expected = fullScan(request, reported, full);
                    String got;
                    try {
                        got = chain.place(request).worker();
                        placed.add(task);
                    } catch (NoWorkerException e) {
                        got = null;
                    }
                    assertEquals(expected, got, "step " + step + ": " + request);
                }
            }
        }
    }

    /** The choice by definition: every connected worker counted, filtered and the least busy taken, by name. */
    private String fullScan(PlacementRequest request, Map<String, WorkerCandidate> reported, Set<String> full) {
        return reported.values().stream()
                .map(c -> new WorkerCandidate(c.worker(), c.capacity(), c.capacity() > 0 && full.contains(c.worker())
                        ? c.capacity() : Math.max(c.activeServices(), chain.reservedOn(c.worker())), c.draining()))
                .filter(c -> request.worker() == null || c.worker().equals(request.worker()))
                .filter(c -> !c.draining() || c.worker().equals(request.worker()))
                .filter(c -> c.fits(request.services()))
                .min(Comparator.comparingInt(WorkerCandidate::activeServices).thenComparing(WorkerCandidate::worker))
                .map(WorkerCandidate::worker).orElse(null);
    }

    private static WorkerCandidate worker(String name, int capacity, int active) {
        return new WorkerCandidate(name, capacity, active, false);
    }
}
