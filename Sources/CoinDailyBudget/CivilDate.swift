/// A proleptic Gregorian date in UTC, converted to and from days since 1970-01-01 with Howard Hinnant's
/// `civil_from_days` / `days_from_civil` algorithms (exact for every date, no calendar objects).
struct CivilDate: Equatable {
    var year: Int
    var month: Int
    var day: Int

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        year = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        month = Int(m)
        day = Int(d)
    }

    var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 1 for January 1st.
    var dayOfYear: Int { Int(daysSinceEpoch - CivilDate(year: year, month: 1, day: 1).daysSinceEpoch) + 1 }

    /// `YYYY-MM-DD`.
    var isoString: String { BudgetPeriod.pad(year, 4) + "-" + BudgetPeriod.pad(month, 2) + "-" + BudgetPeriod.pad(day, 2) }
}
