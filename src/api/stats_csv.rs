//! The scorecard as CSV (`GET /stats` with `Accept: text/csv`), for the reports the oversight
//! bodies ask for: Persian headers and labels, Solar Hijri dates (`1405/09/28`), ASCII digits in
//! the figures so that a spreadsheet reads them as numbers, and UTF-8 with a byte-order mark,
//! which is what makes Excel and LibreOffice open Persian text intact without an import dialog.

use chrono::Duration;

use crate::app::stats::StatsReport;
use crate::domain::calendar::tehran_day;
use crate::domain::jalali::JalaliDate;
use crate::domain::scorecard::{UNCLASSIFIED, Week};

/// Which table of the scorecard a CSV holds (`report=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CsvReport {
    /// One line per unit: its referrals of the period judged.
    #[default]
    Units,
    /// One line per week and kind: the requests by channel.
    Weeks,
}

/// The byte-order mark that tells a spreadsheet the file is UTF-8.
const BOM: &str = "\u{FEFF}";

/// A CSV file: its name and its text (the BOM first).
pub struct CsvFile {
    pub file_name: String,
    pub text: String,
}

pub fn render(report: &StatsReport, which: CsvReport) -> Result<CsvFile, csv::Error> {
    let (from, to) = period_days(report);
    let rows = match which {
        CsvReport::Units => unit_rows(report, (&from, &to)),
        CsvReport::Weeks => week_rows(&report.scorecard.weeks),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row)?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    let name = match which {
        CsvReport::Units => "units",
        CsvReport::Weeks => "weeks",
    };
    Ok(CsvFile {
        file_name: format!(
            "mardom-{name}-{}-{}.csv",
            from.replace('/', "-"),
            to.replace('/', "-")
        ),
        text: format!("{BOM}{}", String::from_utf8_lossy(&bytes)),
    })
}

/// The period's first and last days in Tehran, as Solar Hijri dates.
fn period_days(report: &StatsReport) -> (String, String) {
    let last = report.period.before - Duration::microseconds(1);
    (
        jalali(tehran_day(report.period.from)),
        jalali(tehran_day(last)),
    )
}

fn jalali(day: chrono::NaiveDate) -> String {
    JalaliDate::from_gregorian(day).iso().replace('-', "/")
}

fn unit_rows(report: &StatsReport, (from, to): (&str, &str)) -> Vec<Vec<String>> {
    let header = [
        "واحد",
        "از",
        "تا",
        "ارجاع دریافتی",
        "پاسخ به\u{200C}موقع",
        "پاسخ با تأخیر",
        "معوق",
        "در جریان",
        "بسته\u{200C}شده بی\u{200C}پاسخ",
        "پاسخ برگشتی",
        "میانه\u{200C}ی روز کاری تا اعلام وصول",
        "میانه\u{200C}ی روز کاری تا پاسخ",
        "تعداد نظرسنجی",
        "میانگین رضایت (۱ تا ۵)",
    ];
    let mut rows = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for card in &report.scorecard.units {
        let s = &card.score;
        rows.push(vec![
            card.unit_name.clone(),
            from.to_owned(),
            to.to_owned(),
            s.received.to_string(),
            s.on_time.to_string(),
            s.late.to_string(),
            s.overdue.to_string(),
            s.pending.to_string(),
            s.withdrawn.to_string(),
            s.returned.to_string(),
            figure(s.median_days_to_acknowledge),
            figure(s.median_days_to_answer),
            s.ratings.to_string(),
            figure(s.rating_mean),
        ]);
    }
    rows
}

fn week_rows(weeks: &[Week]) -> Vec<Vec<String>> {
    let channels = [
        ("in_person", "حضوری"),
        ("phone", "تلفنی"),
        ("online", "اینترنتی"),
    ];
    let mut header: Vec<String> = ["هفته (از شنبه)", "تا (جمعه)", "هفته\u{200C}ی کامل", "نوع"]
        .map(str::to_owned)
        .to_vec();
    header.extend(channels.iter().map(|(_, label)| (*label).to_owned()));
    header.push("جمع".to_owned());
    let mut rows = vec![header];
    for week in weeks {
        let starts = jalali(week.starts_on);
        let ends = jalali(week.starts_on + Duration::days(6));
        let complete = if week.complete { "بله" } else { "خیر" };
        for (kind, by_channel) in &week.counts {
            let mut row = vec![starts.clone(), ends.clone(), complete.to_owned()];
            row.push(kind_label(kind).to_owned());
            row.extend(
                channels
                    .iter()
                    .map(|(channel, _)| by_channel.get(channel).copied().unwrap_or(0).to_string()),
            );
            row.push(by_channel.values().sum::<i64>().to_string());
            rows.push(row);
        }
    }
    rows
}

/// A kind as the report names it.
fn kind_label(kind: &str) -> &'static str {
    match kind {
        "meeting" => "ملاقات",
        "suggestion" => "پیشنهاد",
        "criticism" => "انتقاد",
        "complaint" => "شکایت",
        "report" => "گزارش",
        UNCLASSIFIED => "طبقه\u{200C}بندی\u{200C}نشده",
        _ => "سایر",
    }
}

/// A figure with two decimals at most; empty when there is none.
fn figure(value: Option<f64>) -> String {
    value.map(|v| format!("{v}")).unwrap_or_default()
}
