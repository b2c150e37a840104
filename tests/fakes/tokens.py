"""Fake secrets shaped like real ones, for tests that prove secrets never leak. None is real."""

NEMO_SECRET = "nmv_usr_SuperSecretToken0042xyz"
NEMO_OWN = "nmv_usr_ownTokenOfAnn123"
NEMO_BENCH = "nmv_usr_benchupload0001"
NEMO_SHAPED = "nmv_usr_abcdefgh12345"
NEMO_SHAPED_LONG = "nmv_usr_abcdefgh12345678"
TELEGRAM_SHAPED = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
