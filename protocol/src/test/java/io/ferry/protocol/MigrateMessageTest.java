package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Migrate;
import org.junit.Test;

/**
 * {@code ferry migrate}'s request to the source daemon (peer to peer) and Begin's: each definition the operator gives
 * comes through whole, and one not given stays absent.
 */
public class MigrateMessageTest {
    private static final MigrationFlags PERSISTENT = new MigrationFlags(true, false, false, false, true, true, false);
    private static final String RUNS = "<domain type='kvm'><name>vm2</name><vcpu>1</vcpu></domain>";
    private static final String KEEPS = "<domain type='kvm'><name>vm2</name><vcpu>4</vcpu></domain>";

    @Test
    public void theDefinitionsGivenForTheDestinationComeThroughWhole() throws Exception {
        Migrate migrate = new Migrate("vm1", "ferry+tls://b:16514", PERSISTENT, "vm2", RUNS, KEEPS, 64, "m-7");

        Migrate read = Migrate.fromXml(Xml.of(ControlClient.parse(migrate.toXml())));

        assertEquals(migrate, read);
        Begin begin = read.begin(PERSISTENT.withV2());
        assertEquals(new Begin("vm1", PERSISTENT.withV2(), "vm2", RUNS, KEEPS, 64, "m-7"), begin);
        assertEquals(begin, Begin.fromXml(Xml.of(ControlClient.parse(begin.toXml()))));
    }

    @Test
    public void aDefinitionNotGivenStaysAbsent() throws Exception {
        Migrate migrate = new Migrate("vm1", "ferry+tls://b:16514", PERSISTENT, null, null, 0);

        Begin begin = Migrate.fromXml(Xml.of(ControlClient.parse(migrate.toXml()))).begin();

        assertNull(begin.xml());
        assertNull(begin.persistentXml());
        assertEquals(begin, Begin.fromXml(Xml.of(ControlClient.parse(begin.toXml()))));
    }
}
