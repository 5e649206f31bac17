package io.ferry.plugin.ovs;

import java.util.List;

/** Per-NIC data for the destination's virtual switch, by the NIC's index in the domain definition. */
public record PortData(List<Interface> interfaces) {
    public PortData {
        interfaces = List.copyOf(interfaces);
    }

    /**
     * @param vportType the NIC's virtualport type ({@code openvswitch}, {@code midonet}, …)
     * @param portData the switch's data for the port, or null when there is none to carry
     */
    public record Interface(int index, String vportType, String portData) {
    }
}
