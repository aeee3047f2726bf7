package io.berth.agent.supervisor;

import io.vertx.core.Future;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/** Runs stop hooks in order, every one of them, and collects their errors instead of stopping at the first. */
final class StopHooks {
    private static final System.Logger LOG = System.getLogger(StopHooks.class.getName());

    private StopHooks() {}

    /** Completes (never fails) with the errors, as "hook: message", in hook order. */
    static Future<List<String>> runAll(String owner, List<StopHook> hooks) {
        List<String> errors = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (StopHook hook : hooks) {
            chain = chain.transform(ignored -> {
                Future<?> f;
                try {
                    f = hook.stop();
                } catch (RuntimeException e) {
                    f = Future.failedFuture(e);
                }
                return f.transform(ar -> {
                    if (ar.failed()) {
                        String msg = hook.name() + ": " + ar.cause().getMessage();
                        LOG.log(Level.WARNING, "{0}: stop hook failed: {1}", owner, msg);
                        errors.add(msg);
                    }
                    return Future.<Void>succeededFuture();
                });
            });
        }
        return chain.map(v -> errors);
    }
}
