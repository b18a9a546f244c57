from django.conf import settings


def test_settings_use_the_test_state_directory():
    assert str(settings.VAR_DIR).endswith("var/test")
