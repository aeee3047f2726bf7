package io.berth.loadtest.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A small SVG line chart writer: panels in a grid, each with series against offered load. No dependencies. */
public final class SvgPlot {
    /** One line: {@code points} are (x, y) pairs; null y values are skipped. */
    public record Series(String name, String color, boolean dashed, List<double[]> points) {}

    /** A horizontal reference line (a target). */
    public record Threshold(String label, double value, String color) {}

    /** @param logY a base-10 logarithmic y axis (from 1 up), for latencies that span milliseconds to seconds */
    public record Panel(String title, String xLabel, String yLabel, List<Series> series, List<Threshold> thresholds,
                        boolean logY) {}

    private static final int PANEL_W = 460;
    private static final int PANEL_H = 300;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 70;

    private SvgPlot() {}

    public static String render(String title, String subtitle, List<Panel> panels, int columns) {
        int rows = (panels.size() + columns - 1) / columns;
        int width = columns * PANEL_W;
        int height = rows * PANEL_H + 60;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\" "
                + "text-anchor=\"middle\">%s</text>%n", width / 2, esc(title)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"42\" fill=\"#555\" text-anchor=\"middle\">%s</text>%n",
                width / 2, esc(subtitle)));
        for (int i = 0; i < panels.size(); i++) {
            int ox = (i % columns) * PANEL_W;
            int oy = 60 + (i / columns) * PANEL_H;
            panel(svg, panels.get(i), ox, oy);
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void panel(StringBuilder svg, Panel p, int ox, int oy) {
        int x0 = ox + LEFT;
        int y0 = oy + TOP;
        int w = PANEL_W - LEFT - RIGHT;
        int h = PANEL_H - TOP - BOTTOM;
        double xMax = 0;
        double yMax = 0;
        for (Series s : p.series()) {
            for (double[] pt : s.points()) {
                xMax = Math.max(xMax, pt[0]);
                if (!Double.isNaN(pt[1])) {
                    yMax = Math.max(yMax, pt[1]);
                }
            }
        }
        for (Threshold t : p.thresholds()) {
            yMax = Math.max(yMax, t.value());
        }
        xMax = niceCeil(xMax);
        Scale scale = p.logY() ? new Scale(1, Math.pow(10, Math.ceil(Math.log10(Math.max(yMax * 1.05, 10)))), true)
                : new Scale(0, niceCeil(yMax * 1.05), false);
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\" text-anchor=\"middle\">%s</text>%n",
                x0 + w / 2, oy + 20, esc(p.title())));
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
                x0, y0, w, h));
        for (double v : scale.ticks()) {
            double y = y0 + h - h * scale.fraction(v);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
                    x0, y, x0 + w, y));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">%s</text>%n",
                    x0 - 5, y + 4, fmt(v)));
        }
        for (int i = 0; i <= 5; i++) {
            double v = xMax * i / 5;
            double x = x0 + w * i / 5.0;
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">%s</text>%n",
                    x, y0 + h + 16, fmt(v)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                x0 + w / 2, y0 + h + 34, esc(p.xLabel())));
        svg.append(String.format(Locale.ROOT, "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
                ox + 14, y0 + h / 2, esc(p.yLabel() + (p.logY() ? " (log scale)" : ""))));
        for (Threshold t : p.thresholds()) {
            double y = y0 + h - h * scale.fraction(t.value());
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
                    + "stroke-dasharray=\"2,4\" stroke-width=\"1.5\"/>%n", x0, y, x0 + w, y, t.color()));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\" "
                    + "font-size=\"10\">%s</text>%n", x0 + w - 4, y - 3, t.color(), esc(t.label())));
        }
        int legendX = x0;
        for (Series s : p.series()) {
            List<String> coords = new ArrayList<>();
            for (double[] pt : s.points()) {
                if (Double.isNaN(pt[1])) {
                    continue;
                }
                double x = x0 + w * pt[0] / xMax;
                double y = y0 + h - h * scale.fraction(pt[1]);
                coords.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        x, y, s.color()));
            }
            svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                    String.join(" ", coords), s.color(), s.dashed() ? " stroke-dasharray=\"6,4\"" : ""));
            int ly = y0 + h + 52;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                    legendX, ly - 4, legendX + 18, ly - 4, s.color(), s.dashed() ? " stroke-dasharray=\"6,4\"" : ""));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", legendX + 22, ly, esc(s.name())));
            legendX += 30 + 7 * s.name().length();
        }
    }

    /** Maps values to [0, 1] of the axis height, clamped; linear from {@code min} or log10 from it. */
    private record Scale(double min, double max, boolean log) {
        double fraction(double v) {
            double f = log ? (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
                    : (v - min) / (max - min);
            return Math.max(0, Math.min(1, f));
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            if (log) {
                for (double v = min; v <= max * 1.0001; v *= 10) {
                    ticks.add(v);
                }
            } else {
                for (int i = 0; i <= 5; i++) {
                    ticks.add(min + (max - min) * i / 5);
                }
            }
            return ticks;
        }
    }

    /** 1, 2, 2.5, 5 × 10^n at or above {@code v}. */
    static double niceCeil(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= v) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
