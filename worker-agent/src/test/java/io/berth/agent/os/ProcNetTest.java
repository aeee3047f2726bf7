package io.berth.agent.os;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcNetTest {

    @Test
    void parse_keepsOnlyListeningSockets_onAnyLocalAddress() {
        List<String> table = List.of(
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 1 1",
                "   1: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1",
                "   2: 0100007F:1538 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   101        0 3 1",
                "   3: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 0 0 0 0 0 4 1");
        Set<Integer> ports = new HashSet<>();

        ProcNet.parse((String.join("\n", table) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII), ports);

        assertEquals(Set.of(5432, 6379, 8080), ports);
    }

    @Test
    void parse_readsTheTableAsTheKernelWritesIt_aLastLineWithoutNewlineAndShortLinesIncluded() {
        byte[] table = ("  sl  local_address rem_address   st\n"
                + "   0: 00000000:0050 00000000:0000 0A 0\n"
                + "   1: 00000000:0051\n" // cut short: no state
                + "   2: 0100007F:FFFF 00000000:0000 0A").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Set<Integer> ports = new HashSet<>();

        ProcNet.parse(table, ports);

        assertEquals(Set.of(80, 65535), ports);
    }

    @Test
    void tcp6IsReadOnlyWhenTcpLacksAWantedPort(@org.junit.jupiter.api.io.TempDir java.nio.file.Path net)
            throws Exception {
        java.nio.file.Files.writeString(net.resolve("tcp"), "  sl  local_address rem_address   st\n"
                + "   0: 00000000:0050 00000000:0000 0A 0\n");
        java.nio.file.Files.createDirectory(net.resolve("tcp6")); // reading it fails: it must not be read

        assertEquals(Set.of(80), ProcNet.listeningPorts(net, Set.of(80)));
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> ProcNet.listeningPorts(net, Set.of(80, 81)));
    }

    @Test
    void aTableLongerThanOneRead_isReadToItsEnd() throws Exception {
        // a procfs read brings one page at most: 60 listening sockets take three
        List<ServerSocket> servers = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) {
                servers.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            java.nio.file.Path net = java.nio.file.Path.of("/proc", Long.toString(ProcessHandle.current().pid()),
                    "net");
            // the JVM's sockets are IPv6 ones unless IPv4 is preferred
            assertTrue(Math.max(ProcNet.readTable(net.resolve("tcp")).length,
                    ProcNet.readTable(net.resolve("tcp6")).length) > 2 * 4096);
            Set<Integer> ports = ProcNet.listeningPorts(ProcessHandle.current().pid());
            for (ServerSocket server : servers) {
                assertTrue(ports.contains(server.getLocalPort()), "port " + server.getLocalPort());
            }
        } finally {
            for (ServerSocket server : servers) {
                server.close();
            }
        }
    }

    @Test
    void listeningPorts_ofThisProcess_seeItsServerSocket_notItsClientSocket() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
            Set<Integer> ports = ProcNet.listeningPorts(ProcessHandle.current().pid());
            assertTrue(ports.contains(server.getLocalPort()));
            assertFalse(ports.contains(client.getLocalPort()));
        }
    }
}
