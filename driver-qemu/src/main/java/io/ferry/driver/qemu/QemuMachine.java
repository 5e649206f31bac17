package io.ferry.driver.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.api.hypervisor.HypervisorException;
import java.util.regex.Pattern;

/**
 * The machine type a QEMU runs, as QEMU names it with no alias: {@code pc} (and a definition that names none) is
 * QEMU's newest {@code pc-i440fx-X.Y}, which another QEMU version reads as another machine, and a migration between
 * them fails ("Machine type received is … and local is …"). Read from the running QEMU itself, whose QOM type for its
 * machine is the name and {@code -machine}, so that a QEMU started before its binary was upgraded says its own.
 */
final class QemuMachine {
    private static final String SUFFIX = "-machine";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private QemuMachine() {
    }

    /** The machine type {@code vm} runs, or null if its QEMU does not say (gone, or an answer that names none). */
    static String of(QemuVirtualMachine vm) {
        try {
            return name(vm.execute("qom-get", Qmp.JSON.createObjectNode().put("path", "/machine").put("property", "type")));
        } catch (HypervisorException e) {
            return null;
        }
    }

    /** The machine type QEMU's answer for its machine's QOM type names, or null: the guest's QEMU is not trusted. */
    static String name(JsonNode qomType) {
        String type = qomType.isTextual() ? qomType.asText() : "";
        String name = type.endsWith(SUFFIX) ? type.substring(0, type.length() - SUFFIX.length()) : "";
        return NAME.matcher(name).matches() ? name : null;
    }
}
