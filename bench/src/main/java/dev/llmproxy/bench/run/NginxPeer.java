package dev.llmproxy.bench.run;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * nginx as the peer reverse proxy: a configuration generated into its own prefix directory (error log and pid
 * there), {@code /v1/chat/completions} to the upstream's {@code /chat/completions} and {@code /tts} to its
 * {@code /}, unbuffered, HTTP/1.1 keep-alive to the upstream, no access log — the plain relay the proxy is compared
 * with.
 */
final class NginxPeer {
    private NginxPeer() {
    }

    static String config(int port, int upstreamPort, int workers) {
        return """
                worker_processes %d;
                pid nginx.pid;
                error_log error.log warn;
                worker_rlimit_nofile 65536;
                events {
                    worker_connections 32768;
                    multi_accept on;
                }
                http {
                    access_log off;
                    client_body_temp_path tmp/body;
                    proxy_temp_path tmp/proxy;
                    fastcgi_temp_path tmp/fastcgi;
                    uwsgi_temp_path tmp/uwsgi;
                    scgi_temp_path tmp/scgi;
                    keepalive_requests 1000000;
                    keepalive_timeout 120s;
                    upstream demo {
                        server 127.0.0.1:%d;
                        keepalive 64;
                        keepalive_requests 1000000;
                    }
                    server {
                        listen 127.0.0.1:%d;
                        proxy_buffering off;
                        proxy_request_buffering off;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_read_timeout 120s;
                        location = /v1/chat/completions {
                            proxy_pass http://demo/chat/completions;
                        }
                        location = /tts {
                            proxy_pass http://demo/;
                        }
                    }
                }
                """.formatted(workers, upstreamPort, port);
    }

    /** Starts nginx on {@code port}; null (with the reason on stderr) when there is no nginx binary. */
    static ChildProcess start(String binary, Path prefix, int port, int upstreamPort, int workers, Path log)
            throws Exception {
        if (!Files.isExecutable(Path.of(binary))) {
            System.err.println("nginx peer skipped: " + binary + " is not an executable");
            return null;
        }
        Files.createDirectories(prefix.resolve("tmp"));
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, config(port, upstreamPort, workers));
        ChildProcess nginx = ChildProcess.start("nginx",
                List.of(binary, "-p", prefix.toString() + "/", "-c", conf.toString(), "-g", "daemon off;"),
                Map.of(), log, null);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!nginx.alive()) {
                throw new IllegalStateException("nginx exited at start (see " + prefix.resolve("error.log") + ")");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return nginx;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        nginx.close();
        throw new IllegalStateException("nginx did not listen on " + port + " within 10 s");
    }
}
