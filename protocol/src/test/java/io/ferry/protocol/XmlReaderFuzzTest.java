package io.ferry.protocol;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Hostile bytes to Ferry's XML reader and to the JDK's parser ({@link JdkYardstick}): both refuse them or both
 * build the same tree; Ferry's refusal is one line, the same from its DOM parse and its SAX read, and nothing
 * else is thrown. Seeds and kept findings: {@code src/test/resources/io/ferry/protocol/XmlReaderFuzzTestInputs/}.
 */
class XmlReaderFuzzTest {
    private static final ThreadLocal<JdkYardstick> YARDSTICK = ThreadLocal.withInitial(JdkYardstick::new);

    @DictionaryEntries({"<?xml version='1.0' encoding='UTF-8'?>", "<!--", "-->", "<![CDATA[", "]]>", "<?", "?>", "</", "/>",
            "xmlns=", "xmlns:p=", "p:", "xml:lang=", "&amp;", "&lt;", "&#x", "&#", "\\x0D\\x0A", "<!DOCTYPE", "='"})
    @FuzzTest(maxDuration = "2h", maxExecutions = 10_000_000)
    void readAsTheJdkReadsOrRefusedByBoth(byte[] xml) throws Exception {
        YARDSTICK.get().agree(xml);
    }
}
