"""Batch I/O: streaming readers and atomic, resumable writers.

Every input record yields exactly one output record (``filter.io.readers`` for the record
contract, ``filter.io.writers`` for the output formats). The runtime core never imports this
package; the CLI and the executors do.
"""
from filter.io.readers import (INPUT_FORMATS, OUTPUT_FORMATS, READ_ERRORS, RESULT_KEYS, InputError, Picked, Record, Source,
                               check_source, detect_format, read_records, read_source, read_text_arg, resolve_inputs)
from filter.io.writers import (CsvWriter, check_output, JsonlWriter, ParquetWriter, StreamWriter, TxtDirWriter, Writer, open_writer,
                               output_format, output_is_an_input, output_record, partial_path, safe_filename, skip_done, to_json_line)

__all__ = [
    "INPUT_FORMATS", "OUTPUT_FORMATS", "READ_ERRORS", "RESULT_KEYS", "InputError", "Picked", "Record", "Source", "check_source",
    "detect_format", "read_records", "read_source", "read_text_arg", "resolve_inputs", "CsvWriter", "JsonlWriter",
    "ParquetWriter", "StreamWriter", "check_output", "output_is_an_input", "TxtDirWriter", "Writer", "open_writer", "output_format", "output_record",
    "partial_path", "safe_filename", "skip_done", "to_json_line",
]
