import CoinDailyTestSupport
import CoinDailyBudget
import Testing

@Suite("UTC calendar periods")
struct BudgetPeriodTests {
    /// Unix ms of a UTC date and time.
    func at(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0, _ min: Int = 0) -> Int64 {
        // Days from civil, independent of the implementation under test (Foundation-free, via a known anchor).
        var days: Int64 = 0
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        for year in 1970..<y { days += (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 366 : 365 }
        days += Int64(cumulative[m - 1] + d - 1)
        if m > 2, y % 4 == 0, y % 100 != 0 || y % 400 == 0 { days += 1 }
        return days * 86_400_000 + Int64(h) * 3_600_000 + Int64(min) * 60_000
    }

    @Test("daily windows are UTC days")
    func daily() {
        let w = BudgetPeriod.daily.window(containing: at(2024, 2, 29, 23, 59))
        #expect(w == PeriodWindow(period: .daily, key: "daily:2024-02-29", start: at(2024, 2, 29), end: at(2024, 3, 1)))
        #expect(BudgetPeriod.daily.window(containing: at(2024, 3, 1)).key == "daily:2024-03-01")
        #expect(BudgetPeriod.daily.window(containing: at(2024, 3, 1) - 1).key == "daily:2024-02-29")
        #expect(BudgetPeriod.daily.window(containing: 0).key == "daily:1970-01-01")
    }

    @Test(
        "weekly windows are ISO weeks starting Monday, keyed by ISO week-year",
        arguments: [
            ((2023, 11, 14), "weekly:2023-W46", (2023, 11, 13)),
            ((2021, 1, 3), "weekly:2020-W53", (2020, 12, 28)),
            ((2021, 1, 4), "weekly:2021-W01", (2021, 1, 4)),
            ((2024, 12, 30), "weekly:2025-W01", (2024, 12, 30)),
            ((2026, 11, 29), "weekly:2026-W48", (2026, 11, 23)),
            ((1970, 1, 1), "weekly:1970-W01", (1969, 12, 29)),
        ])
    func weekly(date: (Int, Int, Int), key: String, monday: (Int, Int, Int)) {
        let w = BudgetPeriod.weekly.window(containing: at(date.0, date.1, date.2, 12))
        #expect(w.key == key)
        let start = monday.0 == 1969 ? -3 * 86_400_000 : at(monday.0, monday.1, monday.2)
        #expect(w.start == start)
        #expect(w.end == start + 7 * 86_400_000)
    }

    @Test("monthly windows are calendar months")
    func monthly() {
        #expect(BudgetPeriod.monthly.window(containing: at(2023, 12, 31, 23, 59)) == PeriodWindow(period: .monthly, key: "monthly:2023-12", start: at(2023, 12, 1), end: at(2024, 1, 1)))
        #expect(BudgetPeriod.monthly.window(containing: at(2024, 2, 10)) == PeriodWindow(period: .monthly, key: "monthly:2024-02", start: at(2024, 2, 1), end: at(2024, 3, 1)))
        #expect(BudgetPeriod.monthly.window(containing: at(2024, 3, 1)).key == "monthly:2024-03")
    }

    @Test("every millisecond of a long stretch lies in exactly the window that contains it")
    func consistency() {
        var ms = at(2019, 12, 20)
        let end = at(2021, 2, 10)
        while ms < end {
            for period in BudgetPeriod.allCases {
                let w = period.window(containing: ms)
                #expect(w.start <= ms && ms < w.end, "\(period) \(ms)")
                #expect(period.window(containing: w.start) == w && period.window(containing: w.end - 1) == w)
                #expect(period.window(containing: w.end).start == w.end)
            }
            ms += 3 * 3_600_000 + 7
        }
    }
}
