"""The edits the planner understands, each declared once: its words (English and Chinese), the slots it
reads, the operation it builds, and an example phrasing to offer when a request comes close.

One module a family, as ffmpeg keeps one file a filter family: ``base`` (the clause, what a builder returns,
the declaration), ``history`` (undo, more), ``ranges`` (keep/cut/trim, highlights, pauses), ``sound``, ``music`` (background music by mood),
``motion`` (speed, reverse, loop, fades, transitions), ``picture`` (shape, looks, colour, rotation, zoom),
``text`` (titles, subtitles, watermarks), ``output``, ``looks`` (composed looks: film, dreamy, moody),
``recipes`` (platforms and recipes: a teaser for Reels). ``EDITS`` below lists them in the order they read an
instruction.

To add an edit: write its builder in its family's module and append one ``Edit`` to ``EDITS``. Builders get a
``Clause`` (the words of one instruction, numbers already as digits) and return an ``Op``, a ``Question``
(ambiguous: ask with choices), a ``Note`` (understood but cannot be done as asked) or ``None`` (not this edit
after all). They mark the characters they used (``clause.claim``) so later edits do not read them again.
"""

from __future__ import annotations

from .base import Clause, Edit, Note, Question, Result, quote_mark, w
from .captions import (
    CAPTION_WORDS,
    KARAOKE,
    _caption_fix,
    _caption_style,
    _captions_from_speech,
    _export_captions,
    _remove_captions,
)
from .history import _more, _undo
from .looks import COMPOSED_WORDS, _composed
from .motion import _boomerang, _fades, _join, _loop, _reverse, _speed, _transitions
from .music import ANOTHER_ALONE, MOOD_ALONE, _another, _mood, _music
from .output import _compress, _output
from .picture import (
    _PIXELS,
    ADJUST_WORDS,
    ASPECT_WORDS,
    BARS_WORDS,
    LOOK_WORDS,
    _adjust,
    _aspect,
    _bars,
    _flip,
    _fps,
    _look,
    _pixels,
    _resolution,
    _rotate,
    _zoom,
)
from .ranges import _example, _highlights, _pauses, _trim
from .recipes import RECIPE_WORDS, _recipe
from .sound import _audio_fade, _denoise, _loudnorm, _mute, _unmute, _volume
from .text import _clear_text, _subtitles, _text, _watermark

# -- the declarations ------------------------------------------------------------------------------------------------
# Order matters only inside one instruction: earlier edits claim the words and numbers they use.
EDITS: tuple[Edit, ...] = (
    Edit(
        "undo",
        w(
            r"\bundo\b|\brevert\b|\bgo back\b|\btake (?:that|it) back\b|\bundo that\b|\breverse (?:that|the last|what you|my last)|\bchange it back\b|\bput it back\b|撤销|撤回|回退|返回上一步|恢复上一步|上一步|退回|还原|改回去|不要刚才"
        ),
        _undo,
        "undo",
        "撤销",
        ("undo", "back", "revert", "撤销"),
        ("undo", "revert"),
    ),
    Edit(
        "recipe",
        RECIPE_WORDS,
        _recipe,
        "make a 15 s teaser for Reels",
        "做一个15秒的Reels预告",
        ("promo", "teaser", "trailer", "reels", "tiktok", "预告", "宣传片"),
        ("promo", "teaser", "trailer"),
    ),
    Edit(
        "composed_look",
        COMPOSED_WORDS,
        _composed,
        "give it a film look",
        "加电影感",
        ("film", "cinematic", "movie", "dreamy", "moody", "电影", "梦幻"),
        ("cinematic", "dreamy", "moody"),
    ),
    Edit(
        "export_captions",
        w(
            r"\b(?:give|send|export|download|get|save)\b(?: me)?.{0,16}\b(?:subtitles?|captions?|srt|subs)\b|导出字幕|下载字幕|字幕导出|(?:给我|发我|发给我)(?:一下)?(?:the )?字幕(?:文件)?"
        ),
        _export_captions,
        "give me the subtitles file",
        "导出字幕",
        ("srt", "subtitles", "字幕"),
    ),
    Edit(
        "remove_captions",
        w(
            r"\b(?:no|remove|delete|drop|hide|clear|turn off|get rid of|take off|lose)\b.{0,12}\b(?:captions?|subtitles?|subs)\b|\bcaptions? off\b|(?:去掉|删除|删掉|移除|清除|不要|关掉|关闭|取消)(?:所有|全部)?的?字幕"
        ),
        _remove_captions,
        "no captions",
        "去掉字幕",
        ("captions", "subtitles", "字幕"),
    ),
    Edit(
        "caption_fix",
        w(r"\b(?:change|replace|fix|correct|swap)\b.{1,80}\b(?:to|with|into|as)\b|字幕.{1,30}(?:改成|改为|换成|替换成|替换为)"),
        _caption_fix,
        "change 'teh' to 'the' in the captions",
        "字幕里的“在”改成“再”",
        ("captions", "字幕"),
    ),
    Edit(
        "captions",
        w(
            r"\b(?:add|generate|create|burn in|turn on|want|need)\b.{0,24}\b(?:captions?|subtitles?|subs)\b|\bput (?:on |in |some )?(?:captions?|subtitles?|subs)\b|\bauto[- ]?(?:captions?|subtitles?|subs)\b|\bcaption (?:what|it|this|the video|my|me|everything)\b|\bsubtitle (?:it|this|the video|what)\b|\btranscribe\b|\bwhat i say\b|\bwhat (?:i'?m|i am|we'?re|we are|they'?re|people are) saying\b|\bwhat (?:i|we|they) said\b|(?:加|添加|生成|做|配|打)(?:个|一下|一些|上|点)?字幕|自动字幕|说的话.{0,6}字幕|语音.{0,4}字幕|字幕.{0,4}(?:识别|听写)"
        ),
        _captions_from_speech,
        "caption what I say",
        "把我说的话加成字幕",
        ("caption", "captions", "subtitles", "字幕"),
        ("captions", "subtitles", "transcribe"),
    ),
    Edit(
        "caption_style",
        w(
            KARAOKE.pattern
            + r"|(?:"
            + CAPTION_WORDS
            + r").{0,24}\b(?:bigger|larger|smaller|top|bottom|higher|lower|up|down|big|small)\b|\b(?:bigger|larger|smaller|move|put)\b.{0,20}\b(?:captions?|subtitles?|subs)\b|字幕.{0,8}(?:大|小|上|下|顶|底)|(?:放大|缩小|调大|调小).{0,3}字幕"
        ),
        _caption_style,
        "make the captions bigger",
        "字幕大一点",
        ("captions", "字幕"),
    ),
    Edit(
        "highlights",
        w(
            r"highlight|best (?:moments|parts|bits|scenes|shots)|\brecap\b|\bmontage\b|精彩|集锦|高光|亮点|精华"
        ),
        _highlights,
        "make a 30-second highlight reel",
        "做一个30秒的精彩集锦",
        ("highlight", "best", "reel", "集锦"),
        ("highlights", "montage"),
    ),
    Edit(
        "example_clip",
        w(r"\bexample\b|\bsample (?:clip|video|edit)|\bdemo clip\b|示例|样片|例子|范例|样例"),
        _example,
        "show me an example clip",
        "给我一个示例片段",
        ("example", "sample", "示例"),
    ),
    Edit(
        "cut_pauses",
        w(
            r"没(?:有)?声音?的(?:地方|部分|片段)|静音的(?:地方|部分|片段)|没人说话的(?:地方|部分)|安静的(?:地方|部分|片段)|\bpauses?\b|\bsilen(?:ces|t parts?|t bits?|t gaps?|t sections?|t stretches)\b|\bsilence\b(?!\s+(?:the\s+)?(?:video|clip|audio|it|sound|everything|this|whole)\b)|\bdead (?:air|space|time)\b|\bquiet (?:bits|sections|moments|stretches)\b|\bgaps\b|\bjump ?cuts?\b|\bquiet parts\b|\b(?:parts?|bits?|sections?|moments?|places?)\b.{0,24}\b(?:no (?:sound|audio|talking|speech|one (?:talks|speaks|is talking))|nobody (?:talks|speaks|is talking)|nothing (?:is |gets )?(?:said|heard)|nothing (?:is )?happening sound-?wise)\b|\bawkward (?:pauses|silences|gaps)\b|\bums?\b|停顿|空白|无声|沉默|冷场|气口|(?:去掉|剪掉|删除|去除|删掉|切掉)静音|静音(?:部分|片段|段)"
        ),
        _pauses,
        "cut the pauses",
        "去掉停顿",
        ("pause", "silence", "gap", "停顿"),
        ("pauses", "silences", "silence"),
    ),
    Edit(
        "unmute",
        w(
            r"\bunmute\b|\brestore (?:the )?(?:audio|sound)\b|\bsound (?:back )?on\b|\bbring back the (?:audio|sound)\b|取消静音|恢复声音|打开声音|恢复原声|把声音打开"
        ),
        _unmute,
        "unmute",
        "取消静音",
        ("unmute", "sound", "声音"),
        ("unmute",),
    ),
    Edit(
        "audio_fade",
        w(
            r"\b(?:audio|sound|music|song|volume|bgm)\b.{0,20}\bfade|\bfade\b.{0,20}\b(?:audio|sound|music|song|bgm)\b|(?:声音|音乐|音频|背景音乐|配乐|bgm).{0,6}(?:淡入|淡出|渐入|渐出|渐弱|渐强)|(?:淡入|淡出).{0,4}(?:声音|音乐|音频)"
        ),
        _audio_fade,
        "fade the music out",
        "音乐淡出",
        ("fade", "music", "淡出"),
    ),
    Edit(
        "loudnorm",
        w(
            r"\bnormali[sz]e\b|\bloudness\b|\beven out the (?:audio|sound|volume)\b|\b(?:audio|sound|volume) (?:consistent|even|levels?)\b|\blevel (?:out )?the (?:audio|sound)\b|响度|音量标准化|音量均衡|音量统一|声音统一|音量一致|标准化"
        ),
        _loudnorm,
        "normalise the loudness",
        "响度标准化",
        ("normalize", "loudness", "level", "响度"),
        ("normalize", "normalise", "loudness"),
    ),
    Edit(
        "denoise",
        w(
            r"\bde-?nois(?:e|ing)\b|\b(?:remove|reduce|cut|clean|get rid of|kill|less)\b.{0,20}\b(?:noise|hiss|hum|static|wind noise)\b|\bnoise (?:reduction|removal)\b|\bclean up the (?:audio|sound|voice)\b|\bnoisy\b|降噪|去噪|去除杂音|去掉噪音|去杂音|噪音|杂音|底噪|电流声"
        ),
        _denoise,
        "remove the background noise",
        "降噪",
        ("noise", "denoise", "hiss", "噪音"),
        ("denoise", "noise", "noisy"),
    ),
    Edit(
        "output",
        w(
            r"(?<![a-z])(?:gif|mp3|mp4)(?![a-z])|\b(?:extract|rip|export|save|pull|just)\b.{0,12}\b(?:audio|sound|music)\b|\baudio only\b|\bcover\b|\bthumbnail\b|\bposter frame\b|动图|表情包|提取音频|导出音频|提取声音|提取音乐|只要声音|只要音频|音频文件|封面|缩略图"
        ),
        _output,
        "export it as a GIF",
        "导出成GIF动图",
        ("gif", "mp3", "audio", "cover", "thumbnail", "封面"),
        ("gif", "thumbnail", "cover"),
    ),
    Edit(
        "music",
        w(r"\bmusic\b|\bbgm\b|\bsoundtrack\b|\bsong\b|(?<!-)\btunes\b|背景音乐|配乐|音乐|背景乐|bgm|歌"),
        _music,
        "add background music at 30%",
        "加背景音乐 音量30%",
        ("music", "song", "音乐"),
        ("music", "soundtrack"),
    ),
    Edit(
        "music_mood",
        MOOD_ALONE,
        _mood,
        "add some upbeat music",
        "加一段欢快的音乐",
        ("upbeat", "relaxed", "epic", "lofi", "chill", "欢快", "轻松", "史诗"),
        ("upbeat", "relaxed", "epic"),
    ),
    Edit(
        "another_track",
        ANOTHER_ALONE,
        _another,
        "change the music",
        "换一首",
        ("another", "change", "换一首"),
    ),
    Edit(
        "mute",
        w(
            r"\bmute\b|\bsilence (?:the )?(?:video|clip|audio|it)\b|\bremove (?:the )?(?:original )?(?:audio|sound)\b|\bno (?:sound|audio)\b|\bwithout (?:sound|audio)\b|\bturn off (?:the )?(?:sound|audio|volume)\b|\bturn (?:the )?(?:sound|audio|volume) (?:off|all the way down)\b|\b(?:sound|audio|volume) off\b|\bkill the (?:sound|audio)\b|\bsilent\b|\b(?:remove|lose|strip|get rid of|ditch|drop|cut|kill|take out|switch off|shut off)\b.{0,12}\b(?:sound|audio)\b|\bsilence the whole\b|静音|消音|去掉声音|关闭声音|去掉原声|关掉声音|不要声音|没有声音|无声|声音不要|声音去掉|声音关掉|把声音关|声音关了|不要原声|去掉音频|原声.{0,2}(?:去掉|删掉|去除|拿掉|关掉|关了|不要)"
        ),
        _mute,
        "mute",
        "静音",
        ("mute", "sound", "静音"),
        ("mute",),
    ),
    Edit(
        "volume",
        w(
            r"\bvolume\b|\blouder\b|\bquieter\b|\bsofter\b|\bturn (?:it |the sound |the audio )?(?:up|down)\b|\bboost the (?:audio|sound)\b"
            r"|\b(?:sound|audio)\b.{0,14}\b(?:lower|higher|down|up)\b|音量|声音大|声音小|调大|调小|大声|小声|声音.{0,3}(?:大|小|一半|减半)"
        ),
        _volume,
        "volume 50%",
        "音量50%",
        ("volume", "louder", "quieter", "音量"),
        ("volume", "louder", "quieter"),
    ),
    Edit(
        "zoom",
        w(
            r"\bzoom|\bpunch[- ]?in\b|\bken ?burns\b|\bpush[- ]?in\b|\bcloser\b|\bcrop (?:in|closer|tighter)\b|\bmagnify\b|放大|推近|拉近|推镜|缩放|变焦|特写"
        ),
        _zoom,
        "zoom in",
        "放大画面",
        ("zoom", "closer", "crop", "放大"),
        ("zoom", "closer"),
    ),
    Edit(
        "boomerang",
        w(
            r"\bboomerang\b|\bping[- ]?pong\b|\bforwards? (?:and|then) (?:backwards?|in reverse|reversed?)\b|\b(?:loop(?:ed|ing)?|play(?:ed|ing)?|run) (?:it |this |the (?:video|clip) )?back and forth\b|\bback and forth\b|回旋|来回播放?|来回放|正放.{0,4}倒放|先正放"
        ),
        _boomerang,
        "make it a boomerang",
        "来回播放（回旋）",
        ("boomerang", "pingpong", "回旋"),
        ("boomerang",),
    ),
    Edit(
        "loop",
        w(
            r"\bloop(?:ed|ing)?\b|\brepeat\b|\bplay (?:it )?(?:twice|\d+ times)\b|\bplay it again\b|循环|重复|播放两遍|播两遍|放两遍"
        ),
        _loop,
        "loop it 3 times",
        "循环3次",
        ("loop", "repeat", "循环"),
        ("loop", "repeat"),
    ),
    Edit(
        "speed",
        w(
            r"\bspeed\b|\bfaster\b|\bslower\b|\bfast\b|慢速|快速|放慢|变慢|调慢|放快|变快|调快|\bslow[- ]?mo(?:tion)?\b|\btime-?lapse\b|\bspeed (?:it )?up\b|\bslow (?:it |this |the video )?down\b|\bfast[- ]?forward\b|\bquicker\b|\bspeedup\b|\bslow\b|\d\s?x\b|\bx\s?\d|加速|减速|慢放|快放|慢动作|倍速|加快|提速|减慢|半速|\bhalf[- ]speed\b|快进|快一点|慢一点|快点|慢点|再快|再慢|速度|延时|\d\s?倍(?!.{0,3}(?:大|放大|音量))|慢镜头"
        ),
        _speed,
        "2x speed",
        "2倍速",
        ("speed", "fast", "slow", "速度"),
        ("faster", "slower", "speed", "slowmo"),
    ),
    Edit(
        "reverse",
        w(
            r"\breverse\b|\breversed\b|\bbackwards?\b|\bin reverse\b|\brewind (?:effect|it)\b|\bplay it back ?wards\b|倒放|倒着放|倒着播|倒序|反向播放|倒播|倒过来放|回放效果"
        ),
        _reverse,
        "reverse the video",
        "倒放",
        ("reverse", "backwards", "倒放"),
        ("reverse", "backwards"),
    ),
    Edit(
        "transitions",
        w(
            r"\btransitions?\b|\bcross-?fades?\b|\bcross-?dissolves?\b|\bdissolves?\b|\bwipes?\b|\bslides?\b|转场|过渡|交叉淡化|溶解|叠化"
        ),
        _transitions,
        "add crossfade transitions",
        "加转场",
        ("transition", "crossfade", "转场"),
        ("transitions", "crossfade", "dissolve"),
    ),
    Edit(
        "fades",
        w(
            r"\bfade[- ]?in\b|\bfade[- ]?out\b|\bfades?\b|\bfade (?:it )?in and out\b|\b(?:from|to) black\b|淡入|淡出|渐显|渐隐|黑场"
        ),
        _fades,
        "fade in and out",
        "淡入淡出",
        ("fade", "black", "淡入"),
        ("fade",),
    ),
    Edit(
        "join",
        w(
            r"\bjoin\b|\bmerge\b|\bcombine\b|\bconcat(?:enate)?\b|\bstitch\b|\bput (?:them|the clips|it all|everything) together\b|\ball (?:the )?clips\b|合并|拼接|连接起来|串起来|合成一个|接在一起|连起来|拼在一起|合在一起|合起来|放一起|拼一起"
        ),
        _join,
        "join the clips",
        "合并视频",
        ("join", "merge", "combine", "合并"),
        ("merge", "combine", "join"),
    ),
    Edit(
        "pixels",
        _PIXELS,
        _pixels,
        "make it 1080x1920",
        "改成1080乘1920",
        ("pixels", "px", "像素"),
    ),
    Edit(
        "bars",
        BARS_WORDS,
        _bars,
        "add black bars (letterbox)",
        "加黑边",
        ("bars", "letterbox", "pillarbox", "黑边"),
        ("letterbox", "pillarbox", "bars"),
    ),
    Edit(
        "set_aspect",
        w(r"(?<![\d.])(?:9|16|1|4|3|2|21)\s?[:：/x×比]\s?(?:16|9|1|3|5|4)(?![\d.])|" + ASPECT_WORDS.pattern),
        _aspect,
        "make it 9:16",
        "改成9:16竖屏",
        ("vertical", "square", "landscape", "aspect", "ratio", "竖屏", "横屏"),
        ("vertical", "portrait", "square", "landscape", "horizontal", "tiktok"),
    ),
    Edit(
        "look",
        LOOK_WORDS,
        _look,
        "make it black and white",
        "变成黑白",
        (
            "colour",
            "color",
            "filter",
            "look",
            "tone",
            "grade",
            "purple",
            "green",
            "red",
            "颜色",
            "滤镜",
            "色调",
            "色",
        ),
        ("black", "white", "vintage", "sepia", "grayscale", "monochrome", "warmer", "cooler", "vivid"),
    ),
    Edit(
        "adjust",
        ADJUST_WORDS,
        _adjust,
        "make it brighter",
        "调亮一点",
        ("bright", "dark", "light", "contrast", "saturation", "exposure", "亮", "暗", "对比"),
        ("brighter", "darker", "brightness", "contrast", "saturation", "saturated"),
    ),
    Edit(
        "rotate",
        w(
            r"\brotat|\bturn (?:it |the video )?(?:90|180|270|sideways|upside[- ]?down|left|right|clockwise)|\bupside[- ]?down\b|\bsideways\b|\bclockwise\b|旋转|转90|转180|转270|(?<!翻)转一下|倒过来|颠倒|顺时针|逆时针|转个方向"
        ),
        _rotate,
        "rotate it 90 degrees",
        "旋转90度",
        ("rotate", "turn", "sideways", "旋转"),
        ("rotate", "rotation", "clockwise"),
    ),
    Edit(
        "flip",
        w(r"\bflip|\bmirror|镜像|翻转|左右翻|上下翻"),
        _flip,
        "flip it horizontally",
        "水平翻转",
        ("flip", "mirror", "翻转"),
        ("flip", "mirror", "mirrored"),
    ),
    Edit(
        "resolution",
        w(
            r"(?<!\d)\d{3,4}\s?p\b|(?<!\d)\d{3,4}\s?[pP]|\bresolution\b|(?<![a-z0-9])(?:4k|2k|uhd|full hd|fhd|hd)(?![a-z])|分辨率|超清|高清|标清|蓝光|清晰度"
        ),
        _resolution,
        "make it 720p",
        "改成720p",
        ("resolution", "quality", "hd", "清晰", "分辨率"),
        ("resolution",),
    ),
    Edit(
        "fps",
        w(r"fps\b|\bframe ?rate\b|\bframes? (?:per|a) second\b|\bframes?/s\b|帧率|帧数|\d\s?帧"),
        _fps,
        "convert it to 30 fps",
        "帧率改成30",
        ("fps", "frame", "frames", "帧"),
        ("framerate", "frames"),
    ),
    Edit(
        "clear_text",
        w(
            r"\b(?:remove|delete|drop|clear|get rid of|no)\b.{0,12}\b(?:titles?|text|captions?|subtitles?|words)\b|(?:去掉|删除|删掉|移除|清除|不要).{0,4}(?:标题|字幕|文字|文本)"
        ),
        _clear_text,
        "remove the text",
        "删除文字",
        ("text", "title", "文字"),
    ),
    Edit(
        "subtitles",
        w(r"\bsubtitles?\b|\bsubs\b|\bsrt\b|\bclosed captions\b|\bcc\b|字幕文件|字幕"),
        _subtitles,
        "add the subtitles from the .srt file",
        "加上字幕文件",
        ("subtitle", "srt", "字幕"),
        ("subtitles",),
    ),
    Edit(
        "add_text",
        w(
            r"\b(?:put|add|write|slap|stick|throw)\b(?=[^\ue000]{0,16}\ue000)|(?:加|写|放|打)(?=[^\ue000]{0,6}\ue000)|\b(?:titled|called|named)\b(?=[^\ue000]{0,3}\ue000)|(?:名为|题为|名叫|叫做)(?=[^\ue000]{0,3}\ue000)|\btitles?\b|\bheadings?\b|\bcaptions?\b|\btext\b|\bsubtitles?\b|\bheadline\b|\blabel\b|\bwrite\b|\boverlay\b|标题|字幕|文字|文本|大字|写上|写着"
        ),
        _text,
        "add the title 'Summer'",
        "加标题「夏天」",
        ("title", "text", "caption", "标题", "文字"),
        ("title", "caption", "text", "headline"),
    ),
    Edit(
        "watermark",
        w(r"\bwatermark|\blogo\b|\bbrand(?:ing)?\b|水印|标志|台标|商标|logo"),
        _watermark,
        "add my logo in the top right",
        "把logo放在右上角",
        ("logo", "watermark", "水印"),
        ("watermark", "logo"),
    ),
    Edit(
        "compress",
        w(
            r"\bcompress|\bsmaller file\b|\bsmaller (?:for|to send)\b|\bfile smaller\b|\bfor (?:whatsapp|discord|email)\b|\bfile size\b|\breduce (?:the )?size\b|\bunder \d+\s?mb\b|\bfit (?:in|into|under)\b.{0,20}\bmb\b|\b\d+\s?mb\b|\bshrink the file\b|\btoo big to send\b|压缩|文件.{0,3}小|体积|\d+\s?(?:兆|mb)\b"
        ),
        _compress,
        "compress it to 10 MB",
        "压缩到10MB",
        ("compress", "size", "mb", "small", "压缩"),
        ("compress", "compression"),
    ),
    Edit(
        "more",
        w(
            r"^\s*(?:a (?:little |tiny )?bit |little |slightly |even |some |way |much |just )?(?:more|less)\b|\b(?:a bit|a little|slightly|even|some) (?:more|less)\b|^\s*(?:again|one more time|same again|do it again|more please)\b|\btoo much\b|\bnot enough\b|\bdo that again\b|\bagain\b|再来一点|再多一点|再来一次|再多点|多一点|再来|还不够|不够|少一点|少点|太多了|过了|再一次"
        ),
        _more,
        "a bit more",
        "再多一点",
        ("more", "again", "再"),
        alone=True,
    ),
    Edit(
        "trim",
        w(r"\S"),
        _trim,
        "keep the first 5 seconds",
        "保留前5秒",
        ("cut", "trim", "keep", "seconds", "shorter", "long", "剪", "秒", "保留"),
        ("seconds", "trim", "shorten", "minute"),
    ),
)


def example(edit: Edit, lang: str) -> str:
    return edit.example_zh if lang == "zh" else edit.example_en


__all__ = ["EDITS", "Clause", "Edit", "Note", "Question", "Result", "example", "quote_mark"]
