package io.berth.agent.supervisor;

import io.vertx.core.Future;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs stop hooks in stages, every one of them, and collects their errors instead of stopping at the first: a stage
 * starts once the one before it is done, and the hooks of one stage run together.
 */
final class StopHooks {
    private static final System.Logger LOG = System.getLogger(StopHooks.class.getName());

    private StopHooks() {}

    /**
     * Each stage once the one before it is done, its hooks together (they must not depend on one another); completes
     * (never fails) with the errors, as "hook: message", in stage and then hook order.
     */
    static Future<List<String>> runInStages(String owner, List<List<StopHook>> stages) {
        List<String> errors = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (List<StopHook> stage : stages) {
            chain = chain.transform(ignored -> {
                List<Future<?>> running = stage.stream().map(StopHooks::start).toList();
                return Future.join(running).transform(done -> {
                    for (int i = 0; i < stage.size(); i++) {
                        if (running.get(i).failed()) {
                            String msg = stage.get(i).name() + ": " + running.get(i).cause().getMessage();
                            LOG.log(Level.WARNING, "{0}: stop hook failed: {1}", owner, msg);
                            errors.add(msg);
                        }
                    }
                    return Future.<Void>succeededFuture();
                });
            });
        }
        return chain.map(v -> errors);
    }

    private static Future<?> start(StopHook hook) {
        try {
            return hook.stop();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }
}
