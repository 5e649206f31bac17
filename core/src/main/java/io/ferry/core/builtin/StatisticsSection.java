package io.ferry.core.builtin;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.MigrationJob;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SectionProperties;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's {@code statistics}: the source's job statistics after Perform, and the destination's after
 * Finish, so that both ends can show the completed job.
 */
@Component(service = CookieSection.class)
@SectionProperties(feature = "statistics", element = "statistics",
        bakes = {Phase.PERFORM, Phase.FINISH}, eats = {Phase.FINISH, Phase.CONFIRM})
public class StatisticsSection implements CookieSection<JobStatistics> {

    @Override
    public JobStatistics parse(Element fragment) throws CookieException {
        Map<String, Long> fields = new HashMap<>();
        for (Node node = fragment.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element field && JobStatistics.FIELDS.contains(field.getTagName())
                    && !fields.containsKey(field.getTagName())) {
                String text = field.getTextContent().trim();
                try {
                    fields.put(field.getTagName(), Long.parseLong(text));
                } catch (NumberFormatException e) {
                    throw new CookieException("malformed " + field.getTagName() + " in migration statistics: '" + text + "'");
                }
            }
        }
        return new JobStatistics(fields);
    }

    @Override
    public void format(JobStatistics value, Element fragment) {
        value.fields().forEach((name, number) -> {
            Element field = fragment.getOwnerDocument().createElement(name);
            field.setTextContent(Long.toString(number));
            fragment.appendChild(field);
        });
    }

    /** The job of this host as it stands: none outside a migration, nor in an offline one. */
    @Override
    public Optional<JobStatistics> bake(SectionContext context) {
        return context.capability(MigrationJob.class).map(job -> JobStatistics.of(job, System.currentTimeMillis()));
    }

    @Override
    public void eat(SectionContext context, JobStatistics value) {
        context.info("peer's job: " + value.get("time_elapsed") + " ms, " + value.get("memory_processed")
                + " bytes processed, downtime " + value.get("downtime") + " ms");
    }
}
