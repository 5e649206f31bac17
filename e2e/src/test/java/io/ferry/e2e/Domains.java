package io.ferry.e2e;

import static org.junit.Assert.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Domains of a running ferryd, driven through {@code bin/ferry}, read through the control channel's XML. */
final class Domains {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private Domains() {
    }

    /** A {@code sim} domain of 16 MiB with a light workload and the given devices. */
    static String xml(String name, String uuid, String devices) {
        return "<domain type='sim'><name>" + name + "</name><uuid>" + uuid + "</uuid><memory unit='MiB'>16</memory>"
                + "<vcpu>1</vcpu><metadata><sim:workload xmlns:sim='http://ferry.io/xmlns/sim/1.0' dirty-pages-per-second='200'/>"
                + "</metadata><devices>" + devices + "</devices></domain>";
    }

    static void defineAndStart(String url, String xml) throws Exception {
        Path file = Files.writeString(Files.createTempFile(Installation.WORK, "domain", ".xml"), xml);
        ok(Installation.ferry("-c", url, "define", file.toString()));
        String name = xml.replaceAll("(?s).*<name>([^<]*)</name>.*", "$1");
        ok(Installation.ferry("-c", url, "start", name));
    }

    static void migrateLive(String sourceUrl, String name, String destinationUrl) throws Exception {
        ok(Installation.ferry("-c", sourceUrl, "migrate", "--live", name, destinationUrl));
    }

    /** The daemon's description of one domain (dominfo's XML): state, and graphics listeners of an active VM. */
    static String info(String url, String name) throws Exception {
        URI uri = URI.create(url.replaceFirst("^ferry\\+tcp://", "http://").replaceAll("/+$", "") + "/v1/domains/" + name);
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(response.body(), 200, response.statusCode());
        return response.body();
    }

    /** The port of the domain's graphics listener of {@code type} on that daemon's host. */
    static int graphicsPort(String url, String name, String type) throws Exception {
        String info = info(url, name);
        Matcher m = Pattern.compile("<graphics [^>]*type=['\"]" + type + "['\"][^>]*>").matcher(info);
        if (!m.find()) {
            throw new AssertionError("no " + type + " graphics in " + info);
        }
        Matcher port = Pattern.compile("port=['\"](\\d+)['\"]").matcher(m.group());
        if (!port.find()) {
            throw new AssertionError("no port in " + m.group());
        }
        return Integer.parseInt(port.group(1));
    }

    static Installation.Result ok(Installation.Result result) {
        assertEquals(result.toString(), 0, result.exit());
        return result;
    }
}
