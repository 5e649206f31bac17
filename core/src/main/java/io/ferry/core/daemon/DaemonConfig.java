package io.ferry.core.daemon;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The daemon's configuration, PID {@code io.ferry.daemon} ({@code etc/io.ferry.daemon.cfg}). Each value can be
 * overridden by the framework property named in {@link DaemonSettings}, which {@code ferryd}'s flags set.
 */
@ObjectClassDefinition(name = "Ferry daemon", description = "Identity, control channel and limits of this host's Ferry daemon")
public @interface DaemonConfig {
    @AttributeDefinition(description = "HOST:PORT the control channel listens on")
    String listen() default "127.0.0.1:16570";

    @AttributeDefinition(description = "This host's UUID; empty: generated once and kept in the state directory")
    String hostUuid() default "";

    @AttributeDefinition(description = "This host's name in cookies; empty: the machine's host name")
    String hostname() default "";

    @AttributeDefinition(description = "Directory of domain definitions, status and migration journals")
    String stateDir() default "var";

    @AttributeDefinition(description = "Lock manager guarding disk leases: file (the default), zookeeper, or none")
    String lockManager() default "file";

    @AttributeDefinition(description = "Largest accepted migration cookie or message, in bytes (libvirt's RPC cap)")
    int cookieMaxBytes() default 4 * 1024 * 1024;

    @AttributeDefinition(description = "Deepest accepted element nesting in a cookie or message")
    int cookieMaxDepth() default 64;

    @AttributeDefinition(description = "PKCS12 keystore with this daemon's key and certificate; set: the control channel is "
            + "ferry+tls:// (mutual TLS); empty: ferry+tcp://. Relative to the installation")
    String tlsKeystore() default "";

    @AttributeDefinition(description = "PKCS12 trust store with the CA that signs peers' and clients' certificates")
    String tlsTruststore() default "";

    @AttributeDefinition(description = "File whose first line is the password of the keystore and the trust store")
    String tlsPasswordFile() default "";
}
