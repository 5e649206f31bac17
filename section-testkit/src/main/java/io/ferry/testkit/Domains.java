package io.ferry.testkit;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.core.domain.DomainXml;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Domain definitions for tests, read from libvirt's domain XML by the core's own parser, as {@code ferry define} does. */
public final class Domains {
    private Domains() {
    }

    /**
     * The definition {@code xml} describes, as a daemon would hand it to a section ({@code <uuid>} made up when
     * missing, as {@code define} does).
     *
     * @throws AssertionError with the daemon's refusal when a daemon would refuse the definition
     */
    public static DomainSpec fromXml(String xml) {
        try {
            return new DomainXml(new HardenedXmlParser()).parse(xml);
        } catch (CookieException e) {
            throw new AssertionError("a daemon refuses this domain definition: " + e.getMessage(), e);
        }
    }

    /** {@link #fromXml} of a resource of the test's class path, e.g. {@code /domains/vm1.xml}. */
    public static DomainSpec fromResource(Class<?> test, String resource) {
        try (InputStream in = test.getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("no resource " + resource + " beside " + test.getName());
            }
            return fromXml(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /** A definition of the embedded hypervisor with nothing but the essentials: {@code name}, 1 MiB, 1 vCPU, no devices. */
    public static DomainSpec minimal(String name) {
        return fromXml("<domain type='sim'><name>" + name + "</name><uuid>" + TestSectionContext.DOMAIN_UUID
                + "</uuid><memory unit='KiB'>1024</memory><vcpu>1</vcpu></domain>");
    }
}
