package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import io.ferry.protocol.Messages.Begin;
import io.ferry.protocol.Messages.Migrate;
import org.junit.Test;

/**
 * {@code ferry migrate}'s request to the source daemon (peer to peer) and Begin's: each definition the operator gives
 * comes through whole, and one not given stays absent. A bandwidth cap that is not a number is refused: read as
 * none, a script's {@code bandwidth='100M'} started an uncapped migration.
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

    @Test
    public void aBandwidthThatIsNotANumberIsRefusedNamingIt() throws Exception {
        for (String bandwidth : new String[] {"100M", "1e3", " 100", "", "99999999999999999999"}) {
            String attribute = " bandwidth='" + bandwidth + "'";
            ChannelException migrate = assertThrows(ChannelException.class, () -> Migrate.fromXml(
                    read("<migrate domain='vm1' dest='ferry+tls://b:16514' flags='live,p2p'" + attribute + "/>")));
            assertEquals("malformed <migrate> message: bandwidth '" + bandwidth + "' is not a number", migrate.getMessage());
            ChannelException begin = assertThrows(ChannelException.class, () -> Begin.fromXml(
                    read("<begin domain='vm1' flags='live'" + attribute + "/>")));
            assertEquals("malformed <begin> message: bandwidth '" + bandwidth + "' is not a number", begin.getMessage());
        }
    }

    @Test
    public void aBandwidthGivenAsANumberOrNotAtAllIsReadAsBefore() throws Exception {
        assertEquals(0, Migrate.fromXml(read("<migrate domain='vm1' dest='ferry+tls://b:16514'/>")).bandwidthMiB());
        assertEquals(0, Begin.fromXml(read("<begin domain='vm1'/>")).bandwidthMiB());
        for (long bandwidth : new long[] {0, 1, 100, Begin.MAX_BANDWIDTH_MIB, -1}) { // the range is the source's to check
            String attribute = " bandwidth='" + bandwidth + "'";
            assertEquals(bandwidth, Migrate.fromXml(read("<migrate domain='vm1' dest='d'" + attribute + "/>")).bandwidthMiB());
            assertEquals(bandwidth, Begin.fromXml(read("<begin domain='vm1'" + attribute + "/>")).bandwidthMiB());
        }
    }

    private static Xml read(String message) throws Exception {
        return Xml.of(ControlClient.parse(message));
    }
}
