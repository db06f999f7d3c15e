"""End to end on real media: the rendered file is decoded and measured frame by frame and
tone by tone. Every expected value is derived from the EDL, not from a previous render."""

from __future__ import annotations

from fractions import Fraction

import pytest

import assembler
from conftest import TONES, write_edl
from media_tools import count_frames, dominant_tone, frame_rgb, mean_color, rms_db, stream_info

FPS = 25
AAC_FRAME = 1024 / 48000  # the encoder pads the last audio frame; nothing longer is allowed


def near(measured, expected, tol=12.0) -> bool:
    return all(abs(m - e) <= tol for m, e in zip(measured, expected))


def at(frame: int) -> float:
    """The middle of an output frame, in seconds."""
    return (frame + 0.5) / FPS


@pytest.fixture(scope="module")
def mixed(media, tmp_path_factory):
    """One timeline holding every kind of input and several kinds of transition."""
    folder = tmp_path_factory.mktemp("mixed")
    edl = {
        "version": 1,
        "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast", "crf": 18}},
        "media_root": str(media),
        "video": [
            {"clip": "red.mp4", "in": 0.5, "out": 1.5},                                # 0..25
            {"transition": "dissolve", "duration": 0.4},                               # 10 frames
            {"clip": "green.mp4", "duration": 1.2},                                    # 15..45, 29.97 fps mono 44.1k
            {"clip": "blue.mp4", "in": "00:00:00:12", "out": "36f"},                   # 45..70, portrait, silent
            {"transition": {"type": "fadeblack", "duration": "10f"}},
            {"clip": "phone.mp4", "duration": 1},                                      # 60..85, rotated, silent
            {"transition": "cut"},
            {"image": "still.png", "duration": "00:00:01.000"},                        # 85..110
            {"title": "Hello: [world], it's 50% & 日本", "duration": 1, "background": "navy"},  # 110..135
            {"transition": {"type": "wipeleft", "duration": 0.4}},
            {"color": "white", "duration": 1},                                         # 125..150
            {"clip": "yellow.mov", "duration": 1},                                     # 150..175, 4:4:4, 5.1 sound
            {"clip": "wide.mp4", "duration": 1},                                       # 175..200, SAR 2:1
        ],
    }
    out = folder / "mixed.mp4"
    events = []
    result = assembler.render(write_edl(folder, "mixed.yaml", edl), out, progress=events.append)
    return out, result, events


def test_frame_count_and_length_are_exact(mixed):
    out, result, _ = mixed
    assert result.frames == 200 and result.duration == Fraction(8)
    assert count_frames(out) == 200
    info = stream_info(out)
    assert (info["width"], info["height"]) == (320, 180)
    assert info["fps"] == FPS
    assert info["sample_rate"] == 48000 and info["channels"] == 2
    assert abs(info["audio_duration"] - 8.0) <= AAC_FRAME


@pytest.mark.parametrize("frame, colour", [
    (5, (255, 0, 0)),       # red
    (35, (0, 128, 0)),      # green (29.97 fps source)
    (52, (0, 0, 255)),      # blue, portrait, in its pillarbox
    (95, (128, 0, 128)),    # the still
    (140, (255, 255, 255)),  # white colour card
    (160, (255, 255, 0)),   # yellow 4:4:4 .mov
])
def test_colour_of_each_item(mixed, frame, colour):
    out, _, _ = mixed
    assert near(mean_color(out, at(frame), box=(0.4, 0.4, 0.6, 0.6)), colour)


def test_dissolve_mixes_both_sides_halfway(mixed):
    out, _, _ = mixed
    r, g, b = mean_color(out, at(20), box=(0.4, 0.4, 0.6, 0.6))  # overlap 15..25, middle 20
    assert 90 < r < 170 and 30 < g < 100 and b < 20


def test_fadeblack_goes_through_black(mixed):
    out, _, _ = mixed
    # xfade's fadeblack dips to near black around the middle of the overlap (60..70)
    assert max(mean_color(out, at(65), box=(0.4, 0.4, 0.6, 0.6))) < 60


def test_wipeleft_shows_both_sides(mixed):
    out, _, _ = mixed
    left = mean_color(out, at(130), box=(0.02, 0.4, 0.1, 0.6))
    right = mean_color(out, at(130), box=(0.9, 0.4, 0.98, 0.6))
    assert near(left, (0, 0, 128), 20) and near(right, (255, 255, 255), 20)


def test_portrait_clip_is_pillarboxed(mixed):
    out, _, _ = mixed
    # 180x320 into 320x180: a 101-pixel column in the middle, black on both sides
    assert near(mean_color(out, at(52), box=(0.0, 0.1, 0.25, 0.9)), (0, 0, 0))
    assert near(mean_color(out, at(52), box=(0.75, 0.1, 1.0, 0.9)), (0, 0, 0))
    assert near(mean_color(out, at(52), box=(0.45, 0.1, 0.55, 0.9)), (0, 0, 255))


def test_rotated_phone_clip_is_shown_upright(mixed):
    out, _, _ = mixed
    # Stored landscape with its top half red; turned 90 degrees clockwise for display the
    # top lands on the right. Upright it is portrait: pillarboxed, red right, blue left.
    assert near(mean_color(out, at(75), box=(0.0, 0.1, 0.25, 0.9)), (0, 0, 0))
    assert near(mean_color(out, at(75), box=(0.52, 0.1, 0.62, 0.9)), (255, 0, 0))
    assert near(mean_color(out, at(75), box=(0.38, 0.1, 0.48, 0.9)), (0, 0, 255))


def test_anamorphic_clip_keeps_its_shape(mixed):
    out, _, _ = mixed
    # 320x180 with 2:1 pixels shows as 640x180: letterboxed to 320x90 in the middle
    assert near(mean_color(out, at(190), box=(0.1, 0.0, 0.9, 0.2)), (0, 0, 0))
    assert near(mean_color(out, at(190), box=(0.1, 0.4, 0.9, 0.6)), (0, 128, 0))


def test_title_draws_text_on_its_background(mixed):
    out, _, _ = mixed
    frame = frame_rgb(out, at(118))
    assert near(frame[5:20, 5:60].reshape(-1, 3).mean(axis=0), (0, 0, 128))
    bright = frame.min(axis=2) > 180
    assert bright[70:110, 20:300].sum() > 100, "the title's text is missing"
    assert bright[:60].sum() == 0 and bright[120:].sum() == 0, "text is centred, nothing elsewhere"


@pytest.mark.parametrize("frame, tone", [
    (5, TONES["red"]), (35, TONES["green"]), (160, TONES["yellow"]),
])
def test_tone_of_each_clip(mixed, frame, tone):
    out, _, _ = mixed
    assert abs(dominant_tone(out, frame / FPS, window=0.2) - tone) < 15


@pytest.mark.parametrize("frame", [52, 75, 95, 118, 140, 185])
def test_silence_where_items_have_no_sound(mixed, frame):
    out, _, _ = mixed
    assert rms_db(out, frame / FPS, window=0.2) < -60


def test_sound_cross_fades_with_the_picture(mixed):
    out, _, _ = mixed
    before, middle = rms_db(out, 0.2, 0.1), rms_db(out, 0.76, 0.08)
    assert middle > before - 8  # both tones present, neither cut out


def test_progress_reaches_the_end(mixed):
    _, _, events = mixed
    assert events and events[-1].fraction == 1.0
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions)
    assert events[-1].total == 8.0


def test_trims_in_every_notation(media, tmp_path):
    edl = {
        "version": 1,
        "output": {"size": "320x180", "fps": 24, "video": {"preset": "ultrafast"}},
        "video": [
            {"clip": str(media / "steps.mp4"), "in": "00:00:01:00", "out": "00:00:02.000"},  # green, 24 frames
            {"clip": str(media / "steps.mp4"), "in": "48f", "duration": 0.5},                # blue, 12
            {"clip": str(media / "steps.mp4"), "in": 3, "out": "3.5"},                       # white, 12
            {"clip": str(media / "steps.mp4"), "in": "00:01.5", "out": "60f"},                # green->blue, 24
        ],
    }
    out = tmp_path / "trims.mp4"
    result = assembler.render(write_edl(tmp_path, "trims.yaml", edl), out)
    assert result.frames == 72 == count_frames(out)
    t = lambda f: (f + 0.5) / 24  # noqa: E731
    for frame, colour in [(1, (0, 128, 0)), (22, (0, 128, 0)), (25, (0, 0, 255)), (34, (0, 0, 255)),
                          (37, (255, 255, 255)), (46, (255, 255, 255)), (49, (0, 128, 0)), (70, (0, 0, 255))]:
        assert near(mean_color(out, t(frame)), colour), frame
    assert abs(dominant_tone(out, 0.2, 0.2) - 220) < 15     # source 1.2 s
    assert abs(dominant_tone(out, 2.5, 0.2) - 880) < 15     # third clip: source 3.0 s
    assert abs(dominant_tone(out, 2.05, 0.15) - 220) < 15   # fourth clip starts at source 1.5 s


def test_speed_keeps_pitch_and_volume_and_mute_apply(media, tmp_path):
    red = str(media / "red.mp4")
    edl = {
        "version": 1,
        "output": {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}},
        "video": [
            {"clip": red, "out": 1},                     # reference level, 25 frames
            {"clip": red, "speed": 2},                  # 2 s of source in 1 s
            {"clip": red, "out": 1, "volume": -6},
            {"clip": red, "out": 1, "mute": True},
        ],
    }
    out = tmp_path / "speed.mp4"
    result = assembler.render(write_edl(tmp_path, "speed.yaml", edl), out)
    assert result.frames == 100 == count_frames(out)
    assert abs(dominant_tone(out, 1.3, 0.4) - TONES["red"]) < 15  # atempo keeps the pitch
    reference = rms_db(out, 0.3, 0.4)
    assert abs(rms_db(out, 2.3, 0.4) - (reference - 6)) < 1.0
    assert rms_db(out, 3.3, 0.4) < -60


@pytest.mark.parametrize("fps", ["30000/1001", 24, "23.976"])
def test_many_short_items_never_drift(media, tmp_path, fps):
    """Sixty items of odd lengths, cuts and dissolves mixed: exact frames, sound as long as picture."""
    items = []
    sources = ["red.mp4", "green.mp4", "yellow.mov", "blue.mp4"]
    for k in range(60):
        if k and k % 3 == 0:
            items.append({"transition": "dissolve", "duration": "3f"})
        items.append({"clip": str(media / sources[k % 4]), "in": f"{k % 5}f", "duration": f"{7 + k % 4}f"})
    edl = {"version": 1, "output": {"size": "160x90", "fps": fps, "video": {"preset": "ultrafast"}},
           "video": items}
    out = tmp_path / "many.mp4"
    result = assembler.render(write_edl(tmp_path, "many.yaml", edl), out)
    timeline = assembler.check(tmp_path / "many.yaml")
    assert sum(p.frames for p in timeline.placements) - sum(j.frames for j in timeline.joins) == result.frames
    assert count_frames(out) == result.frames
    info = stream_info(out)
    assert abs(info["audio_duration"] - float(result.duration)) <= AAC_FRAME


def test_edl_built_in_code(media, tmp_path):
    edl = assembler.Edl(
        version=1,
        output=assembler.Output(size="320x180", fps=30, video=assembler.OutputVideo(preset="ultrafast")),
        video=[assembler.Color(color="red", duration=1),
               assembler.Transition(transition="fadewhite", duration=0.5),
               assembler.Clip(clip="green.mp4", out=1)],
    )
    result = assembler.render(edl, tmp_path / "code.mp4", base_dir=media)
    assert result.frames == 45 == count_frames(tmp_path / "code.mp4")
    assert result.path == tmp_path / "code.mp4" and result.elapsed > 0


@pytest.mark.parametrize("single", [False, True])
def test_markers_become_chapters(tmp_path, single):
    import av
    edl = {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}},
           "video": [{"color": "red", "duration": 2}, {"color": "blue", "duration": 2}],
           "markers": [{"at": "00:00:02.000", "name": "Part two: [the; end]"}, {"at": 0, "name": "Cold open"}]}
    result = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "ep.mp4", single=single)
    with av.open(str(result.path)) as container:
        chapters = container.chapters()
    assert [c["metadata"].get("title") for c in chapters] == ["Cold open", "Part two: [the; end]"]
    starts = [float(c["start"] * c["time_base"]) for c in chapters]
    ends = [float(c["end"] * c["time_base"]) for c in chapters]
    assert starts == [0.0, 2.0] and ends == [2.0, 4.0]


def test_colour_bars_survive_the_pipeline_tagged_bt709(tmp_path):
    """75% bars as an RGB still, and a colour card: converted with the BT.709 matrix, tagged
    so, and back within a few code values."""
    from PIL import Image
    import av
    bars = [(191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191), (191, 0, 0), (0, 0, 191)]
    still = Image.new("RGB", (700, 400))
    for i, colour in enumerate(bars):
        still.paste(colour, (i * 100, 0, (i + 1) * 100, 400))
    still.save(tmp_path / "bars.png")
    edl = {"version": 1, "output": {"size": "640x360", "fps": 25, "video": {"preset": "ultrafast", "crf": 10}},
           "video": [{"image": "bars.png", "duration": 1}, {"color": "#C83C78", "duration": 1}]}
    out = assembler.render(write_edl(tmp_path, "bars.yaml", edl), tmp_path / "bars.mp4").path
    for i, colour in enumerate(bars):
        x = 0.0057 + (i * 100 + 50) / 700 * 0.9886  # the still is contained: 640x366 -> 634x362 ... centred
        assert near(mean_color(out, 0.5, box=(x - 0.01, 0.4, x + 0.01, 0.6)), colour, 4), colour
    assert near(mean_color(out, 1.5, box=(0.4, 0.4, 0.6, 0.6)), (200, 60, 120), 3)
    with av.open(str(out)) as container:
        stream = container.streams.video[0].codec_context
        assert (stream.colorspace, stream.color_primaries, stream.color_trc) == (1, 1, 1)  # BT.709


@pytest.mark.parametrize("single", [False, True])
def test_title_fades_and_position(tmp_path, single):
    """Text fades in and out over its card (also when the card is cut into segments), at
    the named place."""
    edl = {"version": 1, "output": {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}},
           "video": [{"title": "FADE", "duration": 12, "fade_in": 1, "fade_out": 1, "background": "black",
                      "style": {"size": 200, "position": "top-left"}}]}
    out = assembler.render(write_edl(tmp_path, "t.yaml", edl), tmp_path / "t.mp4", single=single,
                           cache=False).path

    def text_level(t):
        frame = frame_rgb(out, t)
        return float(frame[:90, :160].max(axis=2).max())

    assert text_level(0.02) < 40                                     # fading in from nothing
    assert 60 < text_level(0.5) < 200                                # half way
    assert text_level(6.0) > 220                                     # full, in the second segment too
    assert text_level(11.9) < 40 and 60 < text_level(11.5) < 200    # fading out at the very end
    assert frame_rgb(out, 6.0)[100:, :].max() < 30 and frame_rgb(out, 6.0)[:, 200:].max() < 30  # top-left only


def test_a_video_file_as_a_still_shows_its_first_frame(media, tmp_path):
    """`image:` may name a video: its first picture, repeated, joined like any still."""
    edl = write_edl(tmp_path, "still.yaml", {
        "version": 1, "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast"}},
        "video": [{"clip": str(media / "red.mp4"), "duration": 1}, {"transition": "dissolve", "duration": 0.2},
                  {"image": str(media / "steps.mp4"), "duration": 1.5}]})
    out = tmp_path / "still.mp4"
    assembler.render(edl, out, cache=False)
    assert count_frames(out) == 25 + 38 - 5
    assert near(mean_color(out, at(57)), (255, 0, 0), 30)  # steps.mp4 begins red, and stays so
