package io.ferry.protocol;

import static org.junit.Assert.assertEquals;

import io.ferry.protocol.Messages.Finished;
import org.junit.Test;

/**
 * Finish's note is the destination's words, which the source logs and joins to the error it reports (a cancelled
 * migration's): read as one line, as a peer's error text is, so that a destination cannot forge the source's log lines.
 */
public class FinishedMessageTest {
    @Test
    public void aNoteIsReadAsOneLine() throws Exception {
        Finished finished = Finished.fromXml(Xml.of(ControlClient.parse(
                "<finished id='m-1' note='no space&#10;FORGED&#13;&#133;.'/>")));
        assertEquals("no space\\u000aFORGED\\u000d\\u0085.", finished.note());
        assertEquals(finished, Finished.fromXml(Xml.of(ControlClient.parse(finished.toXml()))));
    }
}
