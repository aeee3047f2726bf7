package io.berth.loadtest.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;

class SvgPlotTest {
    @Test
    void render_isWellFormedSvgWithOneLinePerSeriesAndGapsForMissingValues() throws Exception {
        var panel = new SvgPlot.Panel("overhead <ms>", "tasks/s", "ms", List.of(
                new SvgPlot.Series("p50", "#00f", false, List.of(new double[] {10, 3}, new double[] {50, Double.NaN})),
                new SvgPlot.Series("p99", "#f00", true, List.of(new double[] {10, 9}, new double[] {50, 31}))),
                List.of(new SvgPlot.Threshold("target", 30, "#f00")), true);

        String svg = SvgPlot.render("title & more", "sub", List.of(panel, panel), 2);

        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getNodeName()).isEqualTo("svg");
        assertThat(doc.getElementsByTagName("polyline").getLength()).isEqualTo(4);
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(6);
    }

    @Test
    void niceCeil_roundsUpToOneTwoTwoAndAHalfOrFive() {
        assertThat(SvgPlot.niceCeil(7)).isEqualTo(10);
        assertThat(SvgPlot.niceCeil(31.5)).isEqualTo(50);
        assertThat(SvgPlot.niceCeil(101)).isEqualTo(200);
        assertThat(SvgPlot.niceCeil(0)).isEqualTo(1);
    }
}
