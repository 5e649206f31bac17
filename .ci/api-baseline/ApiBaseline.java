import aQute.bnd.differ.Baseline;
import aQute.bnd.differ.DiffPluginImpl;
import aQute.bnd.osgi.Jar;
import aQute.bnd.osgi.Processor;
import aQute.bnd.service.diff.Delta;
import aQute.bnd.service.diff.Diff;
import java.io.File;

/**
 * Baselines an api jar against an older one with bnd's own differ, the check bnd-baseline-maven-plugin runs against
 * a released api: each package's change (MAJOR, MINOR, MICRO) must be matched by its version. Exits 1 on a mismatch.
 * Arguments: NEW.jar OLD.jar [full] (full: every change, not only those of mismatched packages).
 */
public class ApiBaseline {
    public static void main(String[] args) throws Exception {
        try (Processor reporter = new Processor(); Jar newer = new Jar(new File(args[0])); Jar older = new Jar(new File(args[1]))) {
            Baseline baseline = new Baseline(reporter, new DiffPluginImpl());
            boolean ok = true;
            for (Baseline.Info info : baseline.baseline(newer, older, null)) {
                System.out.printf("%-28s %-9s old %-7s new %-7s suggested %-7s %s%n", info.packageName,
                        info.packageDiff.getDelta(), info.olderVersion, info.newerVersion, info.suggestedVersion,
                        info.mismatch ? "MISMATCH" : "ok");
                if (info.mismatch || args.length > 2) {
                    print(info.packageDiff, "    ");
                }
                ok &= !info.mismatch;
            }
            reporter.getErrors().forEach(e -> System.out.println("error: " + e));
            System.out.println(ok ? "baseline ok" : "baseline FAILED");
            System.exit(ok ? 0 : 1);
        }
    }

    private static void print(Diff diff, String indent) {
        if (diff.getDelta() == Delta.UNCHANGED || diff.getDelta() == Delta.IGNORED) {
            return;
        }
        System.out.println(indent + diff.getDelta() + " " + diff.getType() + " " + diff.getName());
        for (Diff child : diff.getChildren()) {
            print(child, indent + "  ");
        }
    }
}
