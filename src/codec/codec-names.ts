/** The video codecs the pipeline can use, by the names the `codec` attribute takes. */
export type VideoCodecName = 'vp8' | 'vp9' | 'av1' | 'h264';

/** Every codec a frame can be coded with: the video codecs and Opus. */
export type CodecName = VideoCodecName | 'opus';
