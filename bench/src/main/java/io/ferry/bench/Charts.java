package io.ferry.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's pictures, drawn by JFreeChart from the job statistics sampled while a migration ran. */
final class Charts {
    private static final double MIB = 1 << 20;

    private Charts() {
    }

    /** One migration: MiB sent and remaining, the guest's dirty rate, and the pre-copy pass, over time. */
    static void migration(Path png, String title, List<JobSampler.Sample> samples) throws IOException {
        XYSeries sent = new XYSeries("sent (MiB)");
        XYSeries remaining = new XYSeries("remaining (MiB)");
        XYSeries dirty = new XYSeries("dirty rate (pages/s)");
        XYSeries pass = new XYSeries("pre-copy pass");
        for (JobSampler.Sample s : samples) {
            sent.add(s.millis(), s.processed() / MIB);
            remaining.add(s.millis(), s.remaining() / MIB);
            dirty.add(s.millis(), s.dirtyRate());
            pass.add(s.millis(), s.iteration());
        }
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("time since the migration began (ms)"));
        plot.add(plot(collection(sent, remaining), "MiB", lines(new Color(0xC0392B), new Color(0x2471A3))), 3);
        plot.add(plot(collection(dirty), "pages/s", lines(new Color(0x1E8449))), 1);
        XYStepRenderer steps = new XYStepRenderer();
        steps.setSeriesPaint(0, new Color(0x7D3C98));
        steps.setDefaultStroke(new BasicStroke(2f));
        steps.setAutoPopulateSeriesStroke(false);
        plot.add(plot(collection(pass), "pass", steps), 1);
        save(png, title, plot);
    }

    /** Several migrations at once: the MiB each has sent, over time. */
    static void concurrent(Path png, String title, Map<String, List<JobSampler.Sample>> byDomain) throws IOException {
        XYSeriesCollection all = new XYSeriesCollection();
        byDomain.forEach((domain, samples) -> {
            XYSeries sent = new XYSeries(domain);
            samples.forEach(s -> sent.add(s.millis(), s.processed() / MIB));
            all.addSeries(sent);
        });
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("time since the migrations began (ms)"));
        plot.add(plot(all, "sent (MiB)", lines()), 1);
        save(png, title, plot);
    }

    private static XYSeriesCollection collection(XYSeries... series) {
        XYSeriesCollection collection = new XYSeriesCollection();
        for (XYSeries s : series) {
            collection.addSeries(s);
        }
        return collection;
    }

    private static XYLineAndShapeRenderer lines(Color... colors) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < colors.length; i++) {
            renderer.setSeriesPaint(i, colors[i]);
        }
        renderer.setDefaultStroke(new BasicStroke(2f));
        renderer.setAutoPopulateSeriesStroke(false);
        return renderer;
    }

    private static XYPlot plot(XYSeriesCollection data, String axis, XYLineAndShapeRenderer renderer) {
        NumberAxis range = new NumberAxis(axis);
        range.setAutoRangeMinimumSize(1); // a flat zero line (an idle guest's dirty rate) without a scale of 1E-9
        XYPlot plot = new XYPlot(data, null, range, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    private static void save(Path png, String title, CombinedDomainXYPlot plot) throws IOException {
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 560);
    }
}
