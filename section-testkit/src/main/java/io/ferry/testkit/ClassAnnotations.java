package io.ferry.testkit;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The annotations on a class as its class file records them, those of {@code CLASS} retention too (DS's
 * {@code @Component}, Ferry's {@code @SectionProperties}), which reflection cannot see: what bnd reads when it
 * writes the component description. Only the elements the source set are recorded; defaults are the annotation
 * type's own.
 */
final class ClassAnnotations {
    /** An enum constant as an annotation element holds it. */
    record EnumValue(String type, String name) {
    }

    private final Object[] pool;
    private final Map<String, Map<String, Object>> byType = new LinkedHashMap<>();

    private ClassAnnotations(DataInputStream in) throws IOException {
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        pool = new Object[in.readUnsignedShort()];
        for (int i = 1; i < pool.length; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> pool[i] = in.readUTF();
                case 3 -> pool[i] = in.readInt();
                case 4 -> pool[i] = in.readFloat();
                case 5 -> pool[i++] = in.readLong();
                case 6 -> pool[i++] = in.readDouble();
                case 7, 8, 16, 19, 20 -> in.readUnsignedShort();
                case 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        in.skipBytes(6); // access flags, this class, super class
        in.skipBytes(2 * in.readUnsignedShort()); // interfaces
        for (int members = 0; members < 2; members++) { // fields, then methods
            for (int n = in.readUnsignedShort(); n > 0; n--) {
                in.skipBytes(6);
                skipAttributes(in);
            }
        }
        for (int n = in.readUnsignedShort(); n > 0; n--) {
            String name = (String) pool[in.readUnsignedShort()];
            int length = in.readInt();
            if (name.equals("RuntimeInvisibleAnnotations") || name.equals("RuntimeVisibleAnnotations")) {
                for (int count = in.readUnsignedShort(); count > 0; count--) {
                    String type = (String) pool[in.readUnsignedShort()];
                    byType.put(type, elements(in));
                }
            } else {
                in.skipBytes(length);
            }
        }
    }

    /** Reads the class file of {@code type} from its class loader. */
    static ClassAnnotations of(Class<?> type) {
        String resource = type.getName().replace('.', '/') + ".class";
        ClassLoader loader = type.getClassLoader() != null ? type.getClassLoader() : ClassLoader.getSystemClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("the class file of " + type.getName() + " is not on the class path");
            }
            return new ClassAnnotations(new DataInputStream(new ByteArrayInputStream(in.readAllBytes())));
        } catch (IOException e) {
            throw new AssertionError("cannot read the class file of " + type.getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The elements the class's annotation (of that type name) sets, or null when the class has no such annotation.
     * Values: String, boxed primitives, {@link EnumValue}, a class's descriptor (String), List, Map (an annotation).
     */
    Map<String, Object> get(String annotation) {
        return byType.get("L" + annotation.replace('.', '/') + ";");
    }

    private Map<String, Object> elements(DataInputStream in) throws IOException {
        Map<String, Object> elements = new LinkedHashMap<>();
        for (int n = in.readUnsignedShort(); n > 0; n--) {
            String name = (String) pool[in.readUnsignedShort()];
            elements.put(name, value(in));
        }
        return elements;
    }

    private Object value(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z', 's' -> pool[in.readUnsignedShort()];
            case 'e' -> new EnumValue((String) pool[in.readUnsignedShort()], (String) pool[in.readUnsignedShort()]);
            case 'c' -> pool[in.readUnsignedShort()];
            case '@' -> {
                in.readUnsignedShort();
                yield elements(in);
            }
            case '[' -> {
                List<Object> values = new ArrayList<>();
                for (int n = in.readUnsignedShort(); n > 0; n--) {
                    values.add(value(in));
                }
                yield values;
            }
            default -> throw new IOException("unknown annotation element tag " + (char) tag);
        };
    }

    private static void skipAttributes(DataInputStream in) throws IOException {
        for (int n = in.readUnsignedShort(); n > 0; n--) {
            in.skipBytes(2);
            in.skipBytes(in.readInt());
        }
    }
}
