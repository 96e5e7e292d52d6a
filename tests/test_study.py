"""Tests of pipelines.study: study.toml validation with key and line in every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualquant import pipelines
from qualquant.pipelines.errors import StudyConfigError
from qualquant.pipelines.study import find_key_line, read_study
from qualquant.pipelines.study._config import STUDY_TEMPLATE

DEMO = Path(pipelines.__file__).parent / "demo_data"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_demo_study_loads_and_resolves_paths():
    study = read_study(DEMO / "study.toml")
    cfg = study.config
    assert cfg.survey.outcome == "belonging"
    assert {c.id for c in cfg.constructs} >= {
        "local_ties",
        "cultural_understanding",
        "institutional_access",
        "legal_status",
        "transnational_support",
    }
    assert study.resolve(cfg.survey.path) == DEMO / "survey" / "repatriates_survey.sav"
    assert len(study.transcript_paths()) == 20
    assert study.out == (DEMO / "out").resolve()
    for c in cfg.constructs:  # every construct's codes are in the demo codebook
        text = (DEMO / "codebook.toml").read_text(encoding="utf-8")
        for code in c.codes:
            assert f'id = "{code}"' in text


def test_template_is_a_valid_study(tmp_path):
    study = read_study(_write(tmp_path, STUDY_TEMPLATE.format(title="T")))
    assert study.config.study.title == "T" and study.config.constructs == []


def test_unknown_top_level_key_names_key_and_line(tmp_path):
    p = _write(tmp_path, '[study]\ntitle = "x"\n\n[surveys]\npath = "a.sav"\n')
    with pytest.raises(StudyConfigError) as err:
        read_study(p)
    msg = str(err.value)
    assert "study.toml, line 4: unknown key 'surveys' in the top level. Did you mean 'survey'?" in msg


def test_unknown_nested_key_names_table_line_and_close_match(tmp_path):
    p = _write(tmp_path, '[study]\ntitle = "x"\n[topics]\nk_range = [2, 4]\npases = 3\n')
    with pytest.raises(StudyConfigError, match=r"line 5: unknown key 'pases' in \[topics\]\. Did you mean 'passes'\?"):
        read_study(p)


def test_unknown_key_in_array_of_tables_counts_entries(tmp_path):
    text = '[[constructs]]\nid = "a"\ncodes = ["x"]\n\n[[constructs]]\nid = "b"\ncodes = ["y"]\nsurvey_vars = ["q"]\n'
    with pytest.raises(
        StudyConfigError,
        match=r"line 8: unknown key 'survey_vars' in \[constructs #2\]\. Did you mean 'survey_variables'\?",
    ):
        read_study(_write(tmp_path, text))


def test_unknown_key_in_inline_table_and_subtable(tmp_path):
    text = '[corpus]\npaths = ["t"]\n\n[corpus.speakers]\ninterviewer = ["И"]\nintervewer = ["Q"]\n'
    with pytest.raises(StudyConfigError, match=r"line 6: unknown key 'intervewer' in \[corpus\.speakers\]"):
        read_study(_write(tmp_path, text))
    text = (
        '[[representativeness]]\ncase_column = "age"\nsurvey_variable = "age_group"\nmap = { a = "b" }\nbinz = [1, 2]\n'
    )
    with pytest.raises(StudyConfigError, match=r"line 5: unknown key 'binz' in \[representativeness #1\]"):
        read_study(_write(tmp_path, text))


def test_several_problems_are_all_listed(tmp_path):
    text = '[study]\nalpha = 2\nfoo = 1\n[coding]\nconsensus = "most"\n'
    with pytest.raises(StudyConfigError) as err:
        read_study(_write(tmp_path, text))
    msg = str(err.value)
    assert msg.startswith("3 problems in study.toml")
    assert "line 2: study.alpha" in msg and "line 3: unknown key 'foo'" in msg
    assert "line 5: coding.consensus" in msg and "'most'" in msg


def test_invalid_values_are_explained(tmp_path):
    with pytest.raises(StudyConfigError, match=r"line 2: topics.k_range: k_range must be \[min, max\]"):
        read_study(_write(tmp_path, "[topics]\nk_range = [5, 3]\n"))
    with pytest.raises(StudyConfigError, match=r"line 2: constructs #1\.id: construct id must be snake_case"):
        read_study(_write(tmp_path, '[[constructs]]\nid = "Local Ties"\n'))
    with pytest.raises(StudyConfigError, match="construct id 'a' is used twice"):
        read_study(_write(tmp_path, '[[constructs]]\nid = "a"\n[[constructs]]\nid = "a"\n'))
    with pytest.raises(StudyConfigError, match=r"required key 'representativeness #1\.survey_variable'"):
        read_study(_write(tmp_path, '[[representativeness]]\ncase_column = "age"\nmap = {a = "b"}\n'))


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(StudyConfigError, match=r"study.toml is not valid TOML: .*line 2"):
        read_study(_write(tmp_path, '[study]\ntitle = "unclosed\n'))
    with pytest.raises(StudyConfigError, match=r"not found\. Create one with `qualquant init DIR`"):
        read_study(tmp_path / "nope.toml")
    p = tmp_path / "latin.toml"
    p.write_bytes('[study]\ntitle = "Исследование"\n'.encode("cp1251"))
    with pytest.raises(StudyConfigError, match="is not UTF-8"):
        read_study(p)


def test_find_key_line_skips_multiline_strings():
    text = '[study]\ndescription = """\nfoo = 1\n"""\nseed = 3\n'
    assert find_key_line(text, ("study", "seed")) == 5
    assert find_key_line(text, ("study", "foo")) == 1  # not a key: falls back to the table


def test_out_override_and_relative_paths(tmp_path):
    p = _write(tmp_path, '[corpus]\npaths = ["data/*.txt"]\n')
    (tmp_path / "data").mkdir()
    for name in ("b.txt", "a.txt", "c.md"):
        (tmp_path / "data" / name).write_text("x", encoding="utf-8")
    study = read_study(p, out=tmp_path / "elsewhere")
    assert [q.name for q in study.transcript_paths()] == ["a.txt", "b.txt"]
    assert study.out == (tmp_path / "elsewhere").resolve()


# ------------------------------------------------------------ survey variables, checked at run start


def _survey_study(tmp_path: Path, survey_block: str, extra: str = "") -> Path:
    (tmp_path / "s.csv").write_text("id,friends,belonging,weight\n1,2,3,1.0\n2,3,4,1.5\n", encoding="utf-8")
    return _write(tmp_path, '[study]\ntitle = "x"\n\n[survey]\npath = "s.csv"\n' + survey_block + extra)


def test_survey_variables_all_known_pass(tmp_path):
    from qualquant.pipelines.study._check import check_survey_variables

    p = _survey_study(
        tmp_path,
        'weights = "weight"\noutcome = "belonging"\nfactors = ["friends"]\n',
        '\n[[constructs]]\nid = "a"\nsurvey_variables = ["friends"]\noutcome = "belonging"\n',
    )
    check_survey_variables(read_study(p))  # no error


def test_misspelt_survey_variables_are_one_error_with_key_line_and_close_match(tmp_path):
    from qualquant.pipelines.study._check import check_survey_variables

    p = _survey_study(
        tmp_path,
        'weights = "wieght"\noutcome = "belonging"\nfactors = ["friends", "frends"]\n',
        '\n[[constructs]]\nid = "a"\nsurvey_variables = ["belongin"]\n',
    )
    with pytest.raises(StudyConfigError) as err:
        check_survey_variables(read_study(p))
    msg = str(err.value)
    assert msg.startswith("3 survey variables named in study.toml are not in s.csv")
    assert (
        "study.toml, line 6: [survey] weights names 'wieght', which is not a variable of s.csv; "
        "did you mean 'weight'?" in msg
    )
    assert "line 8: [survey] factors names 'frends'" in msg and "'friends'" in msg
    assert "line 12: [[constructs]] #1 (a) survey_variables names 'belongin'" in msg and "'belonging'" in msg


def test_survey_variable_check_reads_only_sav_metadata(tmp_path, monkeypatch):
    import pyreadstat

    from qualquant.pipelines.study._check import check_survey_variables, survey_variable_names

    sav = DEMO / "survey" / "repatriates_survey.sav"
    calls = []
    real = pyreadstat.read_sav

    def spy(path, **kwargs):
        calls.append(kwargs)
        return real(path, **kwargs)

    monkeypatch.setattr(pyreadstat, "read_sav", spy)
    names = survey_variable_names(sav)
    assert calls == [{"metadataonly": True}]
    assert {"belonging", "close_local_friends", "age_group"} <= set(names)
    demo = read_study(DEMO / "study.toml")
    check_survey_variables(demo)  # the demo study names only existing variables
    text = (DEMO / "study.toml").read_text(encoding="utf-8").replace('"close_local_friends"', '"close_local_friend"')
    text = text.replace('path = "survey/repatriates_survey.sav"', f"path = {sav.as_posix()!r}".replace("'", '"'))
    with pytest.raises(
        StudyConfigError,
        match=r"\[\[constructs\]\] #1 \(local_ties\) survey_variables names "
        r"'close_local_friend'.*did you mean 'close_local_friends'",
    ):
        check_survey_variables(read_study(_write(tmp_path, text)))


def test_missing_survey_file_is_a_config_error(tmp_path):
    from qualquant.pipelines.study._check import check_survey_variables

    p = _write(tmp_path, '[survey]\npath = "nope.sav"\noutcome = "x"\n')
    with pytest.raises(StudyConfigError, match=r"\[survey\] path: the survey file .*nope\.sav.* does not exist"):
        check_survey_variables(read_study(p))
    check_survey_variables(read_study(_write(tmp_path, '[survey]\npath = ""\noutcome = "x"\n')))  # no survey


# ------------------------------------------------------------ codes and topics of constructs, checked at run start


def _construct_study(tmp_path: Path, constructs: str, topics: str = "") -> Path:
    (tmp_path / "codebook.toml").write_bytes((DEMO / "codebook.toml").read_bytes())
    return _write(tmp_path, '[study]\ntitle = "x"\n\n[codebook]\npath = "codebook.toml"\n' + topics + constructs)


def test_misspelt_construct_code_stops_the_run_naming_id_file_line_and_close_codes(tmp_path):
    from qualquant.pipelines.stages._run import run_study

    p = _construct_study(tmp_path, '\n[[constructs]]\nid = "local_ties"\ncodes = ["bonding", "bridgng"]\n')
    with pytest.raises(StudyConfigError) as err:
        run_study(read_study(p, out=tmp_path / "out"), show_progress=False)
    msg = str(err.value)
    assert msg.startswith(
        "study.toml, line 9: [[constructs]] #1 (local_ties) codes names 'bridgng', which is not "
        "a code of the codebook codebook.toml; did you mean 'bridging'"
    )
    assert msg.endswith("Fix the code ids in study.toml or add the codes to the codebook.")
    assert not (tmp_path / "out" / "segments.csv").exists()  # before any stage


def test_construct_codes_and_topics_are_all_checked_in_one_error(tmp_path):
    from qualquant.pipelines.study._check import check_construct_codes

    p = _construct_study(
        tmp_path,
        '\n[[constructs]]\nid = "a"\ncodes = ["bridging"]\ntopics = [0, 6]\n'
        '\n[[constructs]]\nid = "b"\ncodes = ["lingking", "language"]\n',
        topics="\n[topics]\nk_range = [3, 6]\n",
    )
    with pytest.raises(StudyConfigError) as err:
        check_construct_codes(read_study(p))
    msg = str(err.value)
    assert msg.startswith("2 problems with the codes and topics named in study.toml: ")
    assert (
        "line 13: [[constructs]] #1 (a) topics names topic(s) 6, which cannot exist: the topic model has at "
        "most 6 topics ([topics] k_range = [3, 6]), numbered 0 to 5" in msg
    )
    assert "line 17: [[constructs]] #2 (b) codes names 'lingking'" in msg and "did you mean 'linking'" in msg
    off = _construct_study(
        tmp_path, '\n[[constructs]]\nid = "a"\ntopics = [1]\n', topics="\n[topics]\nenabled = false\n"
    )
    with pytest.raises(StudyConfigError, match=r"\(a\) topics names topic\(s\) 1, but \[topics\] enabled = false"):
        check_construct_codes(read_study(off))
    check_construct_codes(read_study(DEMO / "study.toml"))  # the demo study names only existing codes


# ---------------------------------------------------------------- encodings and id columns (issue 13)


def test_encoding_names_and_id_columns_are_checked_on_load(tmp_path):
    text = (
        '[corpus]\nencoding = "cp-1252"\ncase_column = ""\n\n'
        '[[corpus.encodings]]\npath = "transcripts/old"\nencoding = "koi-8"\n'
    )
    with pytest.raises(StudyConfigError) as info:
        read_study(_write(tmp_path, text))
    message = str(info.value)
    assert message.startswith("3 problems in study.toml: ")
    assert "line 2: corpus.encoding: unknown text encoding 'cp-1252'" in message
    assert "line 3: corpus.case_column: case_column names the case id column of the cases table" in message
    assert "unknown text encoding 'koi-8'" in message


def test_encodings_and_id_columns_have_defaults_and_read_as_written(tmp_path):
    study = read_study(_write(tmp_path, "[study]\ntitle = 'T'\n"))
    corpus, survey, linkage = study.config.corpus, study.config.survey, study.config.linkage
    assert (corpus.encoding, corpus.encodings, corpus.case_column, corpus.transcript_column) == ("", [], "case_id", "")
    assert (survey.case_column, linkage.case_column) == ("case_id", "case_id")
    text = (
        '[corpus]\nencoding = "CP1251"\ncase_column = "interview"\n\n'
        '[[corpus.encodings]]\npath = "transcripts/old/*.txt"\nencoding = "KOI8-R"\n\n'
        '[survey]\ncase_column = "resp_id"\n'
    )
    study = read_study(_write(tmp_path, text))
    assert study.config.corpus.encoding == "CP1251" and study.config.corpus.encodings[0].encoding == "KOI8-R"
    (tmp_path / "transcripts" / "old").mkdir(parents=True)
    paths = [tmp_path / "transcripts" / "a.txt", tmp_path / "transcripts" / "old" / "b.txt"]
    encoding = study.encoding_of(paths)
    assert [encoding(p) for p in paths] == ["CP1251", "KOI8-R"]


def test_check_takes_the_survey_as_the_questionnaire(tmp_path):
    from qualquant.pipelines.study import check_study

    study = read_study(
        _write(
            tmp_path, '[linkage]\nquestionnaire = "survey"\n\n[survey]\npath = "answers.csv"\ncase_column = "resp_id"\n'
        )
    )
    messages = [p.message for p in check_study(study)]
    assert not any("[linkage] questionnaire" in m for m in messages)
    assert any("[survey] path" in m for m in messages)  # the survey file itself is missing
