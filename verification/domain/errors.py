class TestDataError(ValueError):
    """Test data that cannot be read or measured; the message is shown to the supplier as is."""

    # pytest would otherwise try to collect this class wherever a test module imports it.
    __test__ = False

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


def row_error(row: int, message: str) -> TestDataError:
    return TestDataError(f"row {row}: {message}", row=row)
