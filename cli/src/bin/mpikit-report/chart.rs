//! What every plot shares: the colours, the font, log-scale bounds, tick labels and the legend.

use std::error::Error;

use plotters::prelude::*;

pub type Res<T> = Result<T, Box<dyn Error>>;

pub const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
pub const FONT: &str = "sans-serif";

/// Log-scale bounds around `values`, widened to whole decades (plotters' log axes need at
/// least one decade to place ticks; a narrower range makes its tick search loop forever).
pub fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (1.0, 10.0);
    }
    let lo = 10f64.powf((lo / 1.2).log10().floor());
    let hi = 10f64.powf((hi * 1.2).log10().ceil()).max(lo * 10.0);
    (lo, hi)
}

/// The series labels drawn as a legend at `at`, in the plots' font.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(at)
        .label_font((FONT, 17))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// 1k, 10M, ... (decimal units, for bytes too)
pub fn human(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{}M", short(x / 1e6)),
        x if x >= 1e3 => format!("{}k", short(x / 1e3)),
        x => short(x),
    }
}

/// A tick label without float noise: 100000, 2.5, 0.01.
pub fn short(y: f64) -> String {
    let s = format!("{:.3}", y);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
