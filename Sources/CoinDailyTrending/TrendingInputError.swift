import CoinDailyProducer

/// Why an ingest payload was rejected by ``TrendingInput``: the producers' shared ``IngestInputError``
/// (field errors name the JSON key; errors inside an array are wrapped in `item(index:_:)`).
public typealias TrendingInputError = IngestInputError
