import prose_sec
from prose_sec import exceptions


def test_one_exception_per_library_error_code():
    codes = prose_sec.error_codes()
    assert sorted(codes) == sorted(exceptions.BY_CODE)
    for code, cls in exceptions.BY_CODE.items():
        assert issubclass(cls, exceptions.ProseError)
        assert cls.code == code


def test_version():
    assert prose_sec.__version__.count(".") == 2
