import CoinDailyProducer

/// Why a budget ingest payload was rejected: the producers' shared ``IngestInputError``.
public typealias BudgetInputError = IngestInputError
