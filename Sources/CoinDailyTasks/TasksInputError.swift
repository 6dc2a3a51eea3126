import CoinDailyProducer

/// Why a tasks ingest payload was rejected: the producers' shared ``IngestInputError``.
public typealias TasksInputError = IngestInputError
