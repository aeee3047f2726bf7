package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.EventTypes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin API attacked as described in issue 15, over real HTTP against a running stack: chunked bodies with no
 * Content-Length (on a GET and over the limit on a POST), reads without the read token, and log windows (offsets,
 * tails) chosen to start or end inside a secret.
 */
class AdminApiAttackTest {
    private static final String TOKEN = "attack-api-token";
    private static final String READ_TOKEN = "attack-read-token";
    private static final String SECRET = "correct-horse-battery-staple";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static EmbeddedStack stack;
    private static TaskDriver driver;
    private static String api;

    @BeforeAll
    static void startStack() {
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "attack-worker", 0, TOKEN, -1, READ_TOKEN),
                null);
        driver = new TaskDriver(stack.bootstrapServers());
        api = stack.apiUrl();
    }

    @AfterAll
    static void stopStack() {
        if (driver != null) {
            driver.close();
        }
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    /**
     * Sends a chunked request whose body would be {@code totalBytes}, from another thread, and returns the status
     * line of the answer and how much of the body the server let through before it closed the connection.
     */
    private static String[] chunkedAttack(String requestLine, long totalBytes) throws Exception {
        int port = stack.httpPort();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write((requestLine + "\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            AtomicLong sent = new AtomicLong();
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                byte[] chunk = new byte[64 * 1024];
                java.util.Arrays.fill(chunk, (byte) ' ');
                byte[] header = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    while (sent.get() < totalBytes) {
                        out.write(header);
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        sent.addAndGet(chunk.length);
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the server closed the connection: what we wanted
                }
            });
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            StringBuilder rest = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) { // until the server closes
                rest.append(line).append('\n');
            }
            sender.get(30, TimeUnit.SECONDS);
            return new String[] {status, rest.toString(), String.valueOf(sent.get())};
        }
    }

    @Test
    void chunkedBodyOnAGet_isRefusedBeforeItIsRead_andTheConnectionClosed() throws Exception {
        long attack = 300L << 20;
        String[] answer = chunkedAttack("GET /api/v1/tasks HTTP/1.1", attack);
        assertThat(answer[0]).startsWith("HTTP/1.1 413");
        assertThat(answer[1]).contains("takes no request body");
        assertThat(Long.parseLong(answer[2])).as("bytes the server let the client send").isLessThan(attack / 10);
        assertThat(Http.get(api + "/healthz").status()).isEqualTo(200);
    }

    @Test
    void chunkedBodyOverTheLimit_onACallThatTakesABody_isCutOffAtTheLimit() throws Exception {
        long attack = 300L << 20;
        String[] answer = chunkedAttack("POST /api/v1/workers/attack-worker/drain HTTP/1.1", attack);
        assertThat(answer[0]).startsWith("HTTP/1.1 413");
        assertThat(Long.parseLong(answer[2])).as("bytes the server let the client send").isLessThan(attack / 10);
        // a small body still works
        Http.Response undrain = Http.send("POST", api + "/api/v1/workers/attack-worker/drain", TOKEN,
                "{\"draining\": false}");
        assertThat(undrain.status()).as(undrain.body()).isEqualTo(200);
    }

    @Test
    void withAReadToken_readsNeedIt_healthAndMetricsStayOpen() {
        assertThat(Http.get(api + "/api/v1/tasks").status()).isEqualTo(401);
        assertThat(Http.send("GET", api + "/api/v1/tasks", "wrong", null).status()).isEqualTo(403);
        assertThat(Http.send("GET", api + "/api/v1/tasks", READ_TOKEN, null).status()).isEqualTo(200);
        assertThat(Http.send("GET", api + "/api/v1/workers", TOKEN, null).status()).isEqualTo(200);
        assertThat(Http.send("POST", api + "/api/v1/workers/attack-worker/drain", READ_TOKEN,
                "{\"draining\": false}").status()).as("the read token changes nothing").isEqualTo(403);
        assertThat(Http.get(api + "/healthz").status()).isEqualTo(200);
        assertThat(Http.get(api + "/readyz").status()).isEqualTo(200);
        assertThat(Http.get(api + "/metrics").status()).isEqualTo(200);
    }

    @Test
    void logWindowsStartingOrEndingInsideASecret_revealNoPieceOfIt() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("db", """
                run: {path: /bin/sh, args: [-c, 'echo "db password is $POSTGRES_PASSWORD, ok"; echo "$POSTGRES_PASSWORD"; exec %s 7402 hi']}
                params: {POSTGRES_PASSWORD: %s}
                ports: [{number: 7402}]
                """.formatted(Processes.ANSWER_SCRIPT, SECRET)));
        driver.await(task, EventTypes.TASK_SERVICES_READY, TIMEOUT);
        String logs = api + "/api/v1/tasks/" + task + "/services/db/logs";
        Http.Response whole = Http.send("GET", logs, READ_TOKEN, null);
        assertThat(whole.body()).contains("db password is ******, ok");
        int end = "db password is ".length() + SECRET.length() + 6 + SECRET.length() + 1;
        for (int offset = 0; offset <= end; offset++) {
            Http.Response window = Http.send("GET", logs + "?offset=" + offset, READ_TOKEN, null);
            assertThat(window.status()).isEqualTo(200);
            assertNoPieceOfTheSecret(window.body(), "offset " + offset);
        }
        assertThat(Http.send("GET", logs + "?offset=26", READ_TOKEN, null).body()).as("the issue's window")
                .startsWith("******, ok");
        for (int tail = 1; tail <= 3; tail++) {
            assertNoPieceOfTheSecret(Http.send("GET", logs + "?tail=" + tail, READ_TOKEN, null).body(), "tail " + tail);
        }
        driver.end(task);
        driver.await(task, EventTypes.TASK_SERVICES_RELEASED, TIMEOUT);
    }

    private static void assertNoPieceOfTheSecret(String text, String what) {
        for (int i = 0; i + 4 <= SECRET.length(); i++) {
            assertThat(text).as(what).doesNotContain(SECRET.substring(i, i + 4));
        }
    }
}
